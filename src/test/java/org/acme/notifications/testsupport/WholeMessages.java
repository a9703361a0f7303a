package org.acme.notifications.testsupport;

import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A listener for the JDK's WebSocket client that hands on each text message whole (the client may deliver one in
 * parts) and the close code: the server's, or 1006 for a connection that broke without a close frame.
 */
public final class WholeMessages implements WebSocket.Listener {

    private final StringBuilder partial = new StringBuilder();
    private final Consumer<String> onText;
    private final IntConsumer onClose;

    public WholeMessages(Consumer<String> onText, IntConsumer onClose) {
        this.onText = onText;
        this.onClose = onClose;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            onText.accept(partial.toString());
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        onClose.accept(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        onClose.accept(1006);
    }
}
