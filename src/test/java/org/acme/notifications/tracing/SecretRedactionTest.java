package org.acme.notifications.tracing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every spelling of the {@code api-key} and {@code access_token} parameters that the server reads as theirs is redacted: Vert.x decodes any
 * percent-escape in a parameter's name, and names are compared as decoded.
 */
class SecretRedactionTest {

    @ParameterizedTest
    @ValueSource(strings = {"api-key", "API-KEY", "api%2Dkey", "api%2dkey", "%61pi-key", "%61%70%69%2d%6b%65%79", "Api-Key",
            "access_token", "ACCESS_TOKEN", "access%5Ftoken", "%61ccess_token"})
    void theKeyAndTheAccessTokenAreRedactedWhateverTheSpellingOfTheirNames(String name) {
        String url = "/ws/notifications?channels=news&" + name + "=s3cret&since=0-4";

        String redacted = SecretRedaction.redact(url);

        assertFalse(redacted.contains("s3cret"), redacted);
        assertEquals("/ws/notifications?channels=news&" + name + "=" + SecretRedaction.REDACTED + "&since=0-4", redacted);
    }

    @ParameterizedTest
    @ValueSource(strings = {"channels=news&since=0-4", "api-keys=x", "my-api-key=x", "access_tokens=x"})
    void otherParametersAreLeftAsTheyAre(String query) {
        assertEquals("/ws/notifications?" + query, SecretRedaction.redact("/ws/notifications?" + query));
    }
}
