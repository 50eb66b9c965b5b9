package dev.creditmeter.gateway;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Model ids contain {@code /} ({@code openai/gpt-4o-mini}), and the OpenAI SDKs send them encoded in a path
 * ({@code GET /v1/models/openai%2Fgpt-4o-mini}). Tomcat refuses an encoded slash by default with an HTML 400;
 * here it accepts it (and decodes it in the servlet path, which the security firewall then checks as usual).
 * Route matching, in Spring MVC and in the security rules alike, parses the request URI as received, segment by
 * segment, so {@code %2F} stays inside its segment for both: {@code /api/v1/credits%2Fadmin%2Faccounts} is no
 * admin route to either (tested in {@code AuthorizationMatrixTest}).
 */
@Configuration(proxyBeanMethods = false)
class ModelIdsInPaths {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> encodedSlashesPassThrough() {
        return factory -> factory.addConnectorCustomizers(connector -> connector.setEncodedSolidusHandling("decode"));
    }
}
