package dev.creditmeter.events;

import org.springframework.stereotype.Component;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Which URLs a webhook may be sent to: http or https, a host and no credentials, and, unless
 * {@code creditmeter.webhooks.allow-private-targets} is on, only public addresses: every address the host
 * resolves to must be outside loopback, private (RFC 1918, fc00::/7), link-local, shared (100.64/10), unspecified
 * and multicast ranges, so that the feature is no way into the network the service runs in. Checked when an
 * endpoint is registered and again before every attempt (the name may resolve elsewhere by then).
 */
@Component
class WebhookTargets {

    static final int MAX_URL_LENGTH = 2048;

    private final boolean allowPrivate;

    WebhookTargets(WebhookProperties properties) {
        this.allowPrivate = properties.allowPrivateTargets();
    }

    /** Why the URL is refused, or empty. */
    Optional<String> problem(String url) {
        if (url == null || url.isBlank()) {
            return Optional.of("is required");
        }
        if (url.length() > MAX_URL_LENGTH) {
            return Optional.of("must be at most " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.of("must be an absolute http or https URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            return Optional.of("must be an absolute http or https URL");
        }
        if (uri.getRawUserInfo() != null) {
            return Optional.of("must not contain credentials");
        }
        if (uri.getRawFragment() != null) {
            return Optional.of("must not contain a fragment");
        }
        return addressProblem(uri.getHost());
    }

    private Optional<String> addressProblem(String host) {
        if (allowPrivate) {
            return Optional.empty();
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return Optional.of("host does not resolve");
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address)) {
                return Optional.of("must not point to a private, loopback or link-local address");
            }
        }
        return Optional.empty();
    }

    static boolean isPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff, second = b[1] & 0xff;
            return first != 0 && !(first == 100 && second >= 64 && second <= 127) // shared address space
                    && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
                    && first < 240; // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) { // unique local
                return false;
            }
            boolean mapped = true; // ::ffff:a.b.c.d: judged as the IPv4 address it carries
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return isPublic(InetAddress.getByAddress(new byte[]{b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
        }
        return true;
    }
}
