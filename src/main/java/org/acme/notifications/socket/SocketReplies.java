package org.acme.notifications.socket;

import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.acme.notifications.frames.ControlFrame;
import org.acme.notifications.frames.FrameEncoder;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.outbox.ConnectionOutbox;

/**
 * Replies to what a client sent (error frames), through the socket's own outbox: bounded with everything else the
 * socket is sent (a client that keeps sending without reading what it is told is closed with 4008), and queued on the
 * socket's event loop like the broadcaster's answers, so that the answers to a client's frames come in the order it
 * sent them. Replies also come from Kafka's callbacks, on other threads.
 */
@ApplicationScoped
class SocketReplies {

    private static final UserData.TypedKey<ConnectionOutbox> OUTBOX = new UserData.TypedKey<>("outbox");

    private final FrameEncoder encoder;

    SocketReplies(FrameEncoder encoder) {
        this.encoder = encoder;
    }

    /** The socket's outbox, which its replies go through from now on. */
    static void attach(WebSocketConnection connection, ConnectionOutbox outbox) {
        connection.userData().put(OUTBOX, outbox);
    }

    void reply(WebSocketConnection connection, ControlFrame frame) {
        ConnectionOutbox outbox = connection.userData().get(OUTBOX);
        if (outbox == null) {
            return; // closed before it opened
        }
        TextFrames answer = encoder.answer(frame);
        AdmittedSocket.of(connection).channel().eventLoop().execute(() -> outbox.answer(answer));
    }
}
