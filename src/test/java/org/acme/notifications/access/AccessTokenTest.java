package org.acme.notifications.access;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.EventStreamClient;
import org.acme.notifications.testsupport.Json;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Who a subscriber is, with sockets that must present an access token: every token that is not valid (signature,
 * issuer, audience, expiry, subject) is refused at connect with 401, none at all too; a token that expires while
 * its socket is open closes it with 4001; no parameter opens another user's stream; and API keys and access
 * tokens are never taken for each other.
 */
@QuarkusTest
@TestProfile(AccessTokenTest.TokensRequired.class)
@WithTestResource(KafkaBrokerResource.class)
class AccessTokenTest {

    public static class TokensRequired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "notifications.subscribe-requires-token", "true",
                    "notifications.publish-requires-key", "true",
                    "notifications.api-keys", "publisher-key");
        }
    }

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void aValidTokenOpensTheSocketInAHeaderOrAsASubprotocol() {
        assertThat(status(TestTokens.token("ivan")), equalTo(101));
        try (SocketClient browser = SocketClient.connectWithTokenAsSubprotocol(baseUri, TestTokens.token("ivan"), "")) {
            assertThat(browser.isOpen(), equalTo(true));
        }
    }

    @Test
    void everyTokenThatIsNotValidIsRefusedWith401AndSoIsNone() {
        assertThat("no token", SocketClient.upgradeStatus(baseUri, Map.of()), equalTo(401));
        assertThat("bad signature", status(TestTokens.signWithAnotherKey(TestTokens.claims("ivan"))), equalTo(401));
        assertThat("wrong issuer", status(TestTokens.sign(TestTokens.claims("ivan").issuer("https://elsewhere.example"))), equalTo(401));
        assertThat("wrong audience", status(TestTokens.sign(TestTokens.claims("ivan").audience("another-service"))), equalTo(401));
        assertThat("expired", status(TestTokens.sign(TestTokens.claims("ivan").expiresAt(Instant.now().minusSeconds(600)))), equalTo(401));
        assertThat("not a JWT", status("not-a-token"), equalTo(401));
        assertThat("no subject", status(TestTokens.sign(Jwt.issuer(TestTokens.ISSUER).audience(TestTokens.AUDIENCE)
                .expiresAt(Instant.now().plusSeconds(600)))), equalTo(401));
        assertThat("an API key is not a token", status("publisher-key"), equalTo(401));
    }

    @Test
    void aTokenThatExpiresWhileTheSocketIsOpenClosesItWith4001() {
        Instant expiresAt = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.SECONDS); // a JWT counts in seconds
        String shortLived = TestTokens.sign(TestTokens.claims("judy").expiresAt(expiresAt));
        try (SocketClient client = SocketClient.connectWithToken(baseUri, shortLived, "")) {
            assertThat(client.isOpen(), equalTo(true));

            await().atMost(Duration.ofSeconds(15)).until(() -> client.closeCode().isPresent());

            assertThat(client.closeCode(), equalTo(Optional.of(CloseCode.TOKEN_EXPIRED.code())));
            assertThat(Instant.now().isBefore(expiresAt), equalTo(false));
        }
    }

    @Test
    void anEventStreamNeedsATokenToo() {
        EventStreamClient anonymous = EventStreamClient.open(baseUri, "", Map.of());
        assertThat(anonymous.status(), equalTo(401));
        assertThat(anonymous.problem().path("type").asText(), equalTo("urn:notifications:problem:unauthorized"));
        try (EventStreamClient signedIn = EventStreamClient.open(baseUri, "?access_token=" + TestTokens.token("ivan"), Map.of())) {
            assertThat(signedIn.status(), equalTo(200));
        }
    }

    @Test
    void noParameterOpensAnotherUsersStream() {
        assertThat(SocketClient.upgradeStatus(baseUri, "?user=mallory", Map.of("Authorization", "Bearer " + TestTokens.token("ivan"))),
                equalTo(403));
        assertThat(SocketClient.upgradeStatus(baseUri, "?user=ivan", Map.of("Authorization", "Bearer " + TestTokens.token("ivan"))),
                equalTo(101));
    }

    @Test
    void anAccessTokenIsNotAnApiKey() {
        String token = TestTokens.token("ivan");
        given().contentType(ContentType.JSON).header("Authorization", "Bearer " + token).body(Json.object("message", "x"))
                .post("/api/notifications").then().statusCode(401);
        try (SocketClient client = SocketClient.connectWithToken(baseUri, token, "?api-key=" + token)) {
            client.send(Json.object("message", "published with a token as key"));
            assertThat(client.awaitFrame("unauthorized", f -> f.path("type").asText().equals("error")).path("code").asText(),
                    equalTo("unauthorized"));
        }
    }

    private int status(String token) {
        return SocketClient.upgradeStatus(baseUri, Map.of("Authorization", "Bearer " + token));
    }
}
