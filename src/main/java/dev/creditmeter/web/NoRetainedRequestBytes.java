package dev.creditmeter.web;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A request's bytes (its Authorization header, a body with a BYOK key) leave memory with its connection. Tomcat
 * keeps the socket channels of closed connections, with their read buffers, in a pool for the next connection and
 * does not clear them; the last request read into a pooled buffer stayed in the heap for as long as the process ran
 * ({@code SecretsCanaryTest}). With the pool off ({@code socket.bufferPool=0}) a closed connection's channel and
 * buffers are garbage. The request processors are not cached either ({@code server.tomcat.processor-cache=0}, in
 * application.properties). The cost is two buffers allocated per connection, not per request.
 */
@Configuration(proxyBeanMethods = false)
class NoRetainedRequestBytes {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> noPooledSocketBuffers() {
        return factory -> factory.addConnectorCustomizers(connector -> connector.setProperty("socket.bufferPool", "0"));
    }
}
