package org.acme.notifications.packaged;

import org.acme.notifications.kafka.KafkaBrokerProcess;
import org.acme.notifications.testsupport.SocketClient;
import org.acme.notifications.testsupport.TestTokens;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Map;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/**
 * The production artifact with no token verification configured (no {@code mp.jwt.verify.publickey.location}), as a
 * new user first runs it: start-up says that access tokens are off, a socket that sends a token (or its API key in
 * {@code Authorization}, by mistake) is refused with 401, not 503, and sockets without one open as anonymous.
 */
class TokensOffIT {

    @Test
    void withoutAKeyToVerifyThemTokensAreRefusedWith401() throws Exception {
        KafkaBrokerProcess broker = KafkaBrokerProcess.fresh("kafka-tokens-off-it");
        broker.start();
        try (ServiceProcess service = new ServiceProcess(broker.bootstrapServers(), "tokens-off").start()) {
            assertThat(SocketClient.upgradeStatus(service.baseUri(), Map.of("Authorization", "Bearer " + ServiceProcess.API_KEY)),
                    equalTo(401));
            assertThat(SocketClient.upgradeStatus(service.baseUri(), Map.of("Authorization", "Bearer " + TestTokens.token("alice"))),
                    equalTo(401));
            assertThat(SocketClient.upgradeStatus(service.baseUri(), Map.of()), equalTo(101));

            String log = Files.readString(service.log());
            assertThat(log, containsString("Access tokens are off"));
            assertThat(log, not(containsString("SRJWT")));
        } finally {
            broker.stop();
        }
    }
}
