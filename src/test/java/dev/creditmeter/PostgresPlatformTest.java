package dev.creditmeter;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostgresPlatformTest {

    @Test
    void linuxOnX86AndArmAndMacOsOnAppleSiliconRunTheirOwnBinaries() {
        assertThat(PostgresPlatform.of("Linux", "amd64", false)).isEqualTo(new PostgresPlatform("Linux", "x86_64"));
        assertThat(PostgresPlatform.of("Linux", "aarch64", false)).isEqualTo(new PostgresPlatform("Linux", "arm_64"));
        assertThat(PostgresPlatform.of("Mac OS X", "aarch64", false)).isEqualTo(new PostgresPlatform("Darwin", "arm_64"));
    }

    @Test
    void eachPlatformNamesTheArchiveItsJarShips() {
        assertThat(PostgresPlatform.of("Linux", "amd64", false).archive()).isEqualTo("postgres-linux-x86_64.txz");
        assertThat(PostgresPlatform.of("Linux", "aarch64", false).archive()).isEqualTo("postgres-linux-arm_64.txz");
        assertThat(PostgresPlatform.of("Mac OS X", "aarch64", false).archive()).isEqualTo("postgres-darwin-arm_64.txz");
    }

    @Test
    void otherPlatformsAreRefusedWithAMessageNamingThemAndTheWayOut() {
        assertRefused("Windows 11", "amd64", false);
        assertRefused("Mac OS X", "x86_64", false);
        assertRefused("Linux", "amd64", true);
        assertRefused("Linux", "ppc64le", false);
        assertRefused("FreeBSD", "amd64", false);
    }

    @Test
    void theBuildCarriesExactlyTheBinariesOfTheSupportedPlatforms() {
        ClassLoader loader = getClass().getClassLoader();
        for (String shipped : List.of("postgres-linux-x86_64.txz", "postgres-linux-arm_64.txz", "postgres-darwin-arm_64.txz")) {
            assertThat(loader.getResource(shipped)).as(shipped).isNotNull();
        }
        for (String dropped : List.of("postgres-windows-x86_64.txz", "postgres-darwin-x86_64.txz",
                "postgres-linux-x86_64-alpine_linux.txz")) {
            assertThat(loader.getResource(dropped)).as(dropped).isNull();
        }
    }

    private static void assertRefused(String osName, String osArch, boolean alpine) {
        assertThatThrownBy(() -> PostgresPlatform.of(osName, osArch, alpine))
                .isInstanceOf(EmbeddedDatabaseUnavailable.class)
                .hasMessageContaining(osName + " " + osArch)
                .hasMessageContaining("Linux x86-64 and arm64")
                .hasMessageContaining("spring.datasource.url");
    }
}
