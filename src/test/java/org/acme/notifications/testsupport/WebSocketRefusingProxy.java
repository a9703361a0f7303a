package org.acme.notifications.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A proxy that passes HTTP through to the service byte for byte (the Host header included, as nginx's
 * {@code proxy_set_header Host $host} does) and answers every WebSocket upgrade 502, as some corporate proxies do.
 * Only the first request of a connection is looked at: browsers open a WebSocket on a connection of its own. A test
 * can {@link #cut()} every connection through it, as a network that goes away does, and let connections through again.
 */
public final class WebSocketRefusingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final URI target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    public WebSocketRefusingProxy(URI target) {
        this.target = target;
        try {
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::accept, "websocket-refusing-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The proxy's own address, http://localhost:port/: the origin of the pages loaded through it. */
    public URI uri() {
        return URI.create("http://localhost:" + server.getLocalPort() + "/");
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                daemon(() -> serve(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    /** Closes every connection through the proxy, and closes each new one at once until {@link #reconnect()}. */
    public void cut() {
        cut = true;
        open.forEach(WebSocketRefusingProxy::closeQuietly);
    }

    /** Lets connections through again. */
    public void reconnect() {
        cut = false;
    }

    private void serve(Socket client) {
        open.add(client);
        if (cut) {
            closeQuietly(client);
        }
        try (client) {
            InputStream in = client.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.write(b);
            }
            if (head.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).contains("\nupgrade: websocket")) {
                client.getOutputStream().write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return;
            }
            try (Socket upstream = new Socket(target.getHost(), target.getPort())) {
                upstream.getOutputStream().write(head.toByteArray());
                Thread back = daemon(() -> pump(upstream, client));
                pump(client, upstream);
                back.join();
            }
        } catch (IOException | InterruptedException ended) {
            // one side went away: so does the other
        } finally {
            open.remove(client);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException alreadyClosed) {
            // closed
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException ended) {
            // closed
        }
    }

    private static Thread daemon(Runnable work) {
        Thread thread = new Thread(work, "websocket-refusing-proxy-connection");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
