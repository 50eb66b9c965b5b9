package dev.creditmeter.events;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which webhook URLs are refused when private targets are not allowed (the default). */
class WebhookTargetsTest {

    private final WebhookTargets targets = new WebhookTargets(
            new WebhookProperties(false, null, null, null, null, null));

    @Test
    void refusesPrivateLoopbackAndLinkLocalTargets() {
        for (String url : new String[]{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/",
                "http://172.16.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/", "http://[fd00::1]/", "http://[fe80::1]/", "http://0.0.0.0/", "http://100.64.0.1/",
                "http://[::ffff:127.0.0.1]/"}) {
            assertThat(targets.problem(url)).as(url).isPresent();
        }
    }

    @Test
    void refusesWhatIsNotAnHttpUrl() {
        for (String url : new String[]{"ftp://93.184.215.14/", "file:///etc/passwd", "/relative", "http://",
                "http://user:pass@93.184.215.14/", "gopher://93.184.215.14/", "", "http://93.184.215.14/#x"}) {
            assertThat(targets.problem(url)).as(url).isPresent();
        }
    }

    @Test
    void acceptsPublicAddresses() {
        assertThat(targets.problem("https://93.184.215.14/hooks")).isEmpty();
        assertThat(targets.problem("http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/x?y=1")).isEmpty();
    }

    @Test
    void allowsPrivateTargetsWhenConfigured() {
        var open = new WebhookTargets(new WebhookProperties(true, null, null, null, null, null));
        assertThat(open.problem("http://127.0.0.1:8080/hook")).isEmpty();
        assertThat(open.problem("ftp://127.0.0.1/")).isPresent();
    }
}
