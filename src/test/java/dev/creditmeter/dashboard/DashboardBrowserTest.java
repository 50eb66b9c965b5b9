package dev.creditmeter.dashboard;

import dev.creditmeter.ApiTest;
import dev.creditmeter.FakeOpenRouter;
import dev.creditmeter.events.WebhookReceiver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in a real browser: headless Chromium (Debian's {@code chromium} and {@code chromium-driver},
 * installed by {@code .ci/run}) driven through Selenium against the running service on the real database. Elements
 * are found as a person finds them: by their labels, headings and button texts. Screenshots of the main views go to
 * {@code target/screenshots/}. Every test also requires that the browser logged no error (a script failing, a
 * resource refused by the Content-Security-Policy).
 */
class DashboardBrowserTest extends ApiTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final Duration WAIT = Duration.ofSeconds(15);

    private ChromeDriver browser;
    private WebDriverWait wait;

    @BeforeAll
    static void startDriver() throws Exception {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!"true".equals(System.getenv("CREDITMETER_BROWSER_REQUIRED"))) {
            assumeTrue(installed, "Debian's chromium and chromium-driver are not installed (.ci/run installs them)");
        }
        assertThat(installed).as("chromium and chromium-driver installed").isTrue();
        Files.createDirectories(SCREENSHOTS);
    }

    @BeforeEach
    void openBrowser() {
        var options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--window-size=1280,900", "--lang=en-US");
        var logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        // a driver of its own per browser: quitting the browser stops its driver
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build(), options);
        wait = new WebDriverWait(browser, WAIT);
    }

    @AfterEach
    void closeBrowser() {
        if (browser == null) {
            return;
        }
        try {
            List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                    .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                    .map(LogEntry::getMessage)
                    // a refused request the test made on purpose is logged by the browser as a failed resource
                    .filter(m -> !m.contains("the server responded with a status of 4"))
                    .toList();
            assertThat(errors).as("errors in the browser's console").isEmpty();
        } finally {
            browser.quit();
        }
    }

    @Test
    void signsInWithAnApiKeyAndOutAgain() {
        String user = newUserId();
        String key = keyFor(user, "user");

        signIn(key);
        assertThat(button("Sign out").isDisplayed()).isTrue();
        assertThat(text()).contains(user);
        assertThat(script("return sessionStorage.length")).isEqualTo(1L);

        button("Sign out").click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(script("return sessionStorage.length")).isEqualTo(0L);
        assertThat(browser.findElement(By.id("user-view")).isDisplayed()).isFalse();
    }

    @Test
    void signsInThroughTheOpenIdProviderWithPkce() {
        String user = newUserId();
        JWT.signInNextAs(user, List.of("user"));
        browser.get("http://127.0.0.1:" + port + "/");

        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//button[text()='Sign in with your organisation']"))).click();

        wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//button[text()='Sign out']")));
        assertThat(browser.findElement(By.id("who-name")).getText()).isEqualTo(user + " (user)");
        assertThat(statNamed("Balance").getText()).isNotBlank();
        assertThat(browser.getCurrentUrl()).isEqualTo("http://127.0.0.1:" + port + "/").doesNotContain("code=");
        assertThat(JWT.challengeMethods()).last().isEqualTo("S256");
        assertThat(script("return localStorage.length")).isEqualTo(0L);
    }

    @Test
    void aKeyTheServiceRefusesIsToldInWords() {
        signInExpectingRefusal("cm_not-a-key-" + UUID.randomUUID());

        assertThat(browser.findElement(By.id("sign-in-error")).getText())
                .isEqualTo("That key was not accepted: it is unknown, revoked or expired");
    }

    @Test
    void aUserSeesTheBalanceAndTheUsageChartAfterUsageIsTracked() throws Exception {
        String user = newUserId();
        String key = keyFor(user, "user");
        track(user, "chat", "openai/gpt-4o-mini", "0.5");
        track(user, "search", "tavily", "0.25");

        signIn(key);

        WebElement balance = statNamed("Balance");
        assertThat(number(balance.getText())).isLessThan(5.0); // 5 at sign-up, less after the usage
        wait.until(d -> !browser.findElements(By.cssSelector(".chart canvas")).isEmpty());
        assertThat(section("Usage").getText()).contains("openai/gpt-4o-mini", "tavily");
        screenshot("user-desktop");

        browser.manage().window().setSize(new Dimension(360, 800));
        wait.until(d -> (Long) script("return document.documentElement.clientWidth") <= 360);
        assertThat((Long) script("return document.documentElement.scrollWidth")).as("no sideways scrolling at 360 px").isLessThanOrEqualTo(360L);
        screenshot("user-phone");
    }

    @Test
    void aUserRedeemsACouponAndSeesTheBalanceChange() {
        String user = newUserId();
        String key = keyFor(user, "user");
        String code = "BROWSER" + UUID.randomUUID().toString().substring(0, 8).toUpperCase();
        assertThat(api.post(adminKey(), "/api/v1/credits/coupons/create",
                "{\"code\":\"" + code + "\",\"coupon_type\":\"credit_bonus\",\"value\":7}").status()).isEqualTo(200);
        signIn(key);
        String before = statNamed("Balance").getText();

        WebElement coupon = section("Coupon");
        fieldLabelled("Coupon code").sendKeys(code.toLowerCase());
        wait.until(d -> coupon.getText().contains("Valid"));
        buttonIn(coupon, "Redeem").click();

        wait.until(d -> coupon.getText().contains("Redeemed " + code));
        wait.until(d -> !statNamed("Balance").getText().equals(before));
        assertThat(number(statNamed("Balance").getText())).isEqualTo(number(before) + 7);
    }

    @Test
    void anApiErrorIsShownNextToTheActionThatCausedIt() {
        signIn(keyFor(newUserId(), "user"));

        WebElement coupon = section("Coupon");
        fieldLabelled("Coupon code").sendKeys("NO-SUCH-CODE");
        buttonIn(coupon, "Redeem").click();

        wait.until(d -> coupon.getText().contains("Coupon code not found"));
    }

    @Test
    void aUserConnectsAnOpenRouterKey() {
        String ownKey = "sk-or-v1-" + UUID.randomUUID().toString().replace("-", "");
        FakeOpenRouter.registerKey(ownKey, "browser-test", "3.5");
        signIn(keyFor(newUserId(), "user"));

        WebElement byok = section("Bring your own key");
        wait.until(d -> !byok.findElements(By.xpath(".//label[text()='OpenRouter API key']")).isEmpty());
        fieldLabelled("OpenRouter API key").sendKeys(ownKey);
        buttonIn(byok, "Connect").click();

        wait.until(d -> byok.getText().contains(ownKey.substring(ownKey.length() - 4)));
        assertThat(byok.getText()).contains("3.50").doesNotContain(ownKey);
        assertThat(browser.getPageSource()).doesNotContain(ownKey);
    }

    @Test
    void anAdminFindsAUserAllocatesCreditsAndCreatesACoupon() throws Exception {
        String user = newUserId();
        allocate(user, "1");
        signIn(adminKey());

        button("Administration").click();
        WebElement accounts = section("Accounts");
        fieldLabelled("Search accounts").sendKeys(user);
        buttonIn(accounts, "Search").click();
        wait.until(d -> !accounts.findElements(By.xpath(".//button[text()='" + user + "']")).isEmpty());
        accounts.findElement(By.xpath(".//button[text()='" + user + "']")).click();
        wait.until(d -> !accounts.findElements(By.xpath(".//label[text()='Amount']")).isEmpty());
        fieldLabelled("Amount").sendKeys("2.5");
        buttonIn(accounts, "Allocate").click();

        wait.until(d -> accounts.getText().contains("Allocate: 2.50 credits"));
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("8.5");
        assertThat(buttonIn(accounts, "Deduct").isDisplayed()).isTrue();
        assertThat(buttonIn(accounts, "Refund").isDisplayed()).isTrue();

        WebElement coupons = section("Coupons");
        fieldLabelled("Value").sendKeys("3");
        buttonIn(coupons, "Create coupon").click();
        wait.until(d -> coupons.getText().contains("Created UC-"));
        String created = coupons.getText().replaceAll("(?s).*Created (UC-[A-Z0-9]+).*", "$1");
        assertThat(api.get(keyFor(newUserId(), "user"), "/api/v1/credits/coupons/validate/" + created).json()
                .path("valid").asBoolean()).isTrue();
        WebElement keys = section("API keys");
        fieldIn(keys, "User id").sendKeys(user);
        buttonIn(keys, "Issue key").click();
        wait.until(d -> keys.getText().contains("The key is shown this once"));
        String secret = keys.findElement(By.cssSelector("input.secret")).getDomProperty("value");
        assertThat(secret).startsWith("cm_");
        assertThat(browser.getPageSource()).doesNotContain(secret);
        assertThat(api.get(secret, "/api/v1/credits/balance").json().path("user_id").asString()).isEqualTo(user);
        for (String heading : List.of("Prices", "Audit log", "Ledger check", "Platform totals")) {
            assertThat(section(heading).isDisplayed()).as(heading).isTrue();
        }
        screenshot("admin");
    }

    @Test
    void aUserSetsALowBalanceAlertAndGoesBackToTheDefault() {
        String user = newUserId();
        signIn(keyFor(user, "user"));

        WebElement alerts = section("Alerts");
        wait.until(d -> alerts.getText().contains("the platform's default"));
        fieldLabelled("Alert below (credits)").sendKeys("3");
        buttonIn(alerts, "Save alert").click();
        wait.until(d -> alerts.getText().contains("below 3.00 credits (your own)"));
        assertThat(api.get(adminKey(), "/api/v1/credits/alerts/thresholds?user_id=" + user).json()
                .path("low_balance").decimalValue()).isEqualByComparingTo("3");

        buttonIn(alerts, "Use the default").click();
        wait.until(d -> alerts.getText().contains("(the platform's default"));
        assertThat(api.get(adminKey(), "/api/v1/credits/alerts/thresholds?user_id=" + user).json()
                .path("source").asString()).isEqualTo("platform");
    }

    @Test
    void anAdminRegistersAWebhookSeesItsSecretOnceAndSendsItATest() throws Exception {
        try (var receiver = new WebhookReceiver(0)) {
            signIn(adminKey());
            button("Administration").click();
            WebElement webhooks = section("Webhooks");
            fieldLabelled("Endpoint URL").sendKeys(receiver.url());
            buttonIn(webhooks, "Register endpoint").click();

            wait.until(d -> webhooks.getText().contains("The signing secret is shown this once"));
            String secret = webhooks.findElement(By.cssSelector("input.secret")).getDomProperty("value");
            assertThat(secret).startsWith("whsec_");
            assertThat(browser.getPageSource()).doesNotContain(secret);
            wait.until(d -> !webhooks.findElements(By.xpath(".//button[@aria-label='Test " + receiver.url() + "']")).isEmpty());

            webhooks.findElement(By.xpath(".//button[@aria-label='Test " + receiver.url() + "']")).click();
            wait.until(d -> webhooks.getText().contains("Test to " + receiver.url() + ": delivered (HTTP 204"));
            var got = receiver.received();
            assertThat(got).hasSize(1);
            Map<String, List<String>> headers = new java.util.HashMap<>();
            got.getFirst().headers().forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT), values));
            new com.standardwebhooks.Webhook(secret).verify(got.getFirst().body(), headers);

            webhooks.findElement(By.xpath(".//button[text()='Deliveries']")).click();
            wait.until(d -> webhooks.getText().contains("Deliveries to " + receiver.url()));
            wait.until(d -> webhooks.getText().contains("webhook.test"));
            Files.copy(webhooks.getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOTS.resolve("admin-webhooks.png"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            api.get(adminKey(), "/api/v1/credits/admin/webhooks").json().forEach(endpoint ->
                    api.delete(adminKey(), "/api/v1/credits/admin/webhooks/" + endpoint.path("id").asLong()));
        }
    }

    @Test
    void aUserNeverSeesAdminControlsAndTheAdminApiRefusesThemAnyway() {
        String key = keyFor(newUserId(), "user");
        signIn(key);

        assertThat(browser.findElements(By.xpath("//button[text()='Administration']")))
                .allSatisfy(tab -> assertThat(tab.isDisplayed()).isFalse());
        for (String heading : List.of("Accounts", "Coupons", "Prices", "API keys", "Audit log")) {
            assertThat(browser.findElements(By.xpath("//h2[text()='" + heading + "']"))).as(heading).isEmpty();
        }
        assertThat(api.get(key, "/api/v1/credits/admin/accounts").status()).isEqualTo(403);
        assertThat(api.post(key, "/api/v1/credits/allocate", "{\"user_id\":\"x\",\"amount\":1,\"source\":\"s\"}").status())
                .isEqualTo(403);
    }

    @Test
    void noSecretInTheAddressLocalStorageOrPageAndOnlyTheOwnOriginAllowed() throws Exception {
        String key = keyFor(newUserId(), "user");
        signIn(key);

        assertThat(browser.getCurrentUrl()).doesNotContain(key);
        assertThat(script("return localStorage.length")).isEqualTo(0L);
        assertThat(browser.getPageSource()).doesNotContain(key);
        var page = api.get(null, "/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Security-Policy")).startsWith("default-src 'self'; script-src 'self'; style-src 'self'")
                .doesNotContain("unsafe-inline").doesNotContain("http");
        assertThat(Files.readString(LOG_FILE)).doesNotContain(key);
    }

    // --- helpers: found as a person finds them ---

    private void signIn(String key) {
        signInExpectingRefusal(key);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//button[text()='Sign out']")));
        wait.until(d -> !statNamed("Balance").getText().isBlank());
    }

    private void signInExpectingRefusal(String key) {
        browser.get("http://127.0.0.1:" + port + "/");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//label[text()='API key']")));
        fieldLabelled("API key").sendKeys(key);
        button("Sign in").click();
        wait.until(d -> button("Sign out").isDisplayed() || !d.findElement(By.id("sign-in-error")).getText().isBlank());
    }

    private WebElement fieldLabelled(String label) {
        WebElement element = wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//label[text()='" + label + "']")));
        return browser.findElement(By.id(element.getAttribute("for")));
    }

    private WebElement fieldIn(WebElement scope, String label) {
        return browser.findElement(By.id(scope.findElement(By.xpath(".//label[text()='" + label + "']")).getAttribute("for")));
    }

    private WebElement button(String text) {
        return browser.findElement(By.xpath("//button[text()='" + text + "']"));
    }

    private static WebElement buttonIn(WebElement scope, String text) {
        return scope.findElement(By.xpath(".//button[text()='" + text + "']"));
    }

    /** The section under a heading. */
    private WebElement section(String heading) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//section[h2[text()='" + heading + "']]")));
    }

    /** The value next to a label in a card's figures ("Balance" → its amount). */
    private WebElement statNamed(String name) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//div[dt[text()='" + name + "']]/dd")));
    }

    private String text() {
        return browser.findElement(By.tagName("body")).getText();
    }

    private Object script(String code) {
        return ((JavascriptExecutor) browser).executeScript(code);
    }

    private static double number(String shown) {
        return Double.parseDouble(shown.replaceAll("[^0-9.\\-]", ""));
    }

    private void track(String user, String service, String model, String cost) {
        var tracked = api.post(keyFor("svc-" + user, "service"), "/api/v1/credits/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"" + service + "\",\"model\":\"" + model + "\",\"cost\":" + cost
                        + ",\"input_tokens\":1200,\"output_tokens\":300}");
        assertThat(tracked.status()).as(tracked.body()).isEqualTo(200);
    }

    private void screenshot(String name) throws Exception {
        script("window.scrollTo(0, 0)");
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
