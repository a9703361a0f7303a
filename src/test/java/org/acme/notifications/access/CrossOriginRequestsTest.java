package org.acme.notifications.access;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.acme.notifications.kafka.KafkaBrokerResource;
import org.acme.notifications.testsupport.Json;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

/**
 * CORS with nothing configured, as in production by default: no other site's page may call the APIs the client
 * library calls (the request is refused, not acted on, whatever its path's spelling); the service's own pages and
 * programs without an Origin are not affected; the library itself may be imported from anywhere. Allowed sites are
 * {@code NotificationClientTest}'s.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class CrossOriginRequestsTest {

    private static final String ELSEWHERE = "https://elsewhere.example";

    @TestHTTPResource("/")
    URI baseUri;

    @Test
    void noOtherSiteIsAllowedByDefault() {
        given().header("Origin", ELSEWHERE).header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization")
                .options("/sse/notifications").then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("urn:notifications:problem:forbidden-origin"))
                .header("Access-Control-Allow-Origin", nullValue());
        for (String path : new String[] {"/api/notifications", "/api/notifications/"}) {
            given().header("Origin", ELSEWHERE).contentType(ContentType.JSON).body(Json.object("message", "from elsewhere"))
                    .post(path).then().statusCode(403).header("Vary", "Origin")
                    .header("Access-Control-Allow-Origin", nullValue());
        }
        given().header("Origin", ELSEWHERE).get("/api/inbox/counts").then().statusCode(403);
    }

    @Test
    void theServicesOwnPagesAndProgramsAreNotAffected() {
        String ownOrigin = "http://" + baseUri.getHost() + ":" + baseUri.getPort();
        given().header("Origin", ownOrigin).get("/api/inbox/counts").then().statusCode(401).header("Vary", "Origin");
        given().get("/api/inbox/counts").then().statusCode(401).header("Vary", "Origin");
        given().header("Origin", ownOrigin).contentType(ContentType.JSON).body(Json.object("message", "from the page"))
                .post("/api/notifications").then().statusCode(202);
    }

    @Test
    void theLibraryMayBeImportedFromAnywhere() {
        given().header("Origin", ELSEWHERE).get("/notifications-client.js").then().statusCode(200)
                .contentType(containsString("javascript")).header("Access-Control-Allow-Origin", "*");
        given().get("/notifications-client.d.ts").then().statusCode(200).header("Access-Control-Allow-Origin", "*");
    }
}
