package org.acme.notifications.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.outbox.Transport;

import java.util.concurrent.CompletableFuture;

/**
 * An event stream's response as an outbox's transport: each write is the frames as events ({@link EventStreamFrames}),
 * through Vert.x's response, so HTTP/1.1 chunking, HTTP/2 streams (and their flow control) and TLS are Vert.x's. A
 * write completes when the connection took it; the outbox sends one at a time, so a client that does not read holds
 * back its own events in the outbox, bounded there like a socket's.
 */
final class EventStreamTransport implements Transport {

    private final String id;
    private final HttpServerResponse response;
    private final HttpConnection connection;
    private final boolean http2;
    private final EventLoop loop;
    private final EventStreamFrames frames;
    private int writing; // writes the connection has not taken yet
    private boolean closing;
    private boolean endWritten;
    /**
     * Completes when the end of the response is written, or the stream or its connection is gone first: then the
     * stream holds nothing of the connection any more (its place is given back then, not when routing lets it go).
     */
    final CompletableFuture<Void> gone = new CompletableFuture<>();

    EventStreamTransport(String id, HttpServerResponse response, HttpConnection connection, boolean http2, EventLoop loop,
                         EventStreamFrames frames) {
        this.id = id;
        this.response = response;
        this.connection = connection;
        this.http2 = http2;
        this.loop = loop;
        this.frames = frames;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public boolean isClosed() {
        return closing || response.ended() || response.closed();
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    /** A replay chunk is read once, into the events, and released: no pool needed. */
    @Override
    public ByteBufAllocator alloc() {
        return UnpooledByteBufAllocator.DEFAULT;
    }

    @Override
    public Future<?> write(ByteBuf webSocketFrames) {
        ByteBuf events;
        try {
            events = frames.events(webSocketFrames);
        } finally {
            webSocketFrames.release();
        }
        return send(events);
    }

    /** Runs {@code ended} when the response ends, or its connection closes first (more than once: it must not mind). */
    void whenEnded(Runnable ended) {
        response.closeHandler(closed -> {
            gone.complete(null);
            ended.run();
        });
        response.endHandler(done -> ended.run());
    }

    /** A comment line, when nothing else is on its way: an idle stream stays open through proxies. */
    void keepAlive() {
        if (!isClosed() && writing == 0) {
            send(EventStreamFrames.keepAlive());
        }
    }

    /** The stream's first bytes: how long the browser waits before it reconnects (and the headers, now). */
    void open(long retryMillis) {
        send(EventStreamFrames.opening(retryMillis));
    }

    private Future<?> send(ByteBuf bytes) {
        Promise<Void> written = loop.newPromise();
        writing++;
        response.write(Buffer.buffer(bytes), done -> {
            writing--;
            if (done.succeeded()) {
                written.setSuccess(null);
            } else {
                written.setFailure(done.cause());
            }
        });
        return written;
    }

    /** The {@code close} event, behind what was written, then the end of the response: the browser reconnects itself. */
    @Override
    public void close(CloseCode code, String reason) {
        if (isClosed()) {
            return;
        }
        closing = true;
        response.end(Buffer.buffer(EventStreamFrames.close(code, reason)), done -> {
            endWritten = true;
            gone.complete(null);
        });
    }

    /**
     * An HTTP/2 stream is reset, its connection left to the others; an HTTP/1.1 connection is closed (Vert.x refuses
     * to reset an HTTP/1.1 response whose end was handed to it, however much of it still waits to be read).
     */
    @Override
    public void drop() {
        if (!endWritten && !response.closed()) {
            if (http2) {
                response.reset();
            } else {
                connection.close();
            }
        }
        gone.complete(null);
    }
}
