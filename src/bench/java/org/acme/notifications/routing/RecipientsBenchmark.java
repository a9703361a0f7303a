package org.acme.notifications.routing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.acme.notifications.NotificationMetrics;
import org.acme.notifications.Target;
import org.acme.notifications.access.SocketIdentity;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.outbox.ChannelTransport;
import org.acme.notifications.outbox.ConnectionOutbox;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The fan-out core on its own: {@link Recipients#deliver} decides who on one event loop gets a notification, and the
 * task it returns hands the frame to each of those sockets' {@link ConnectionOutbox}, whose channel takes every write at
 * once (Netty's {@code EmbeddedChannel}: no kernel, no network). For a broadcast, a channel that one socket in ten
 * reads, one user (one socket), and a mixed batch (each socket its own view of it). Run with
 * {@code src/test/scripts/jmh.sh Recipients}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecipientsBenchmark {

    @Param({"1", "100", "1000", "10000"})
    int subscribers;

    /** One notification for everyone, a channel or a user; or a batch of ten: nine broadcasts and one for the channel. */
    @Param({"broadcast", "channel", "user", "mixed"})
    String target;

    private Recipients recipients;
    private List<Target> targets;
    private TextFrames frames;

    @Setup
    public void joinSubscribers() {
        NotificationMetrics metrics = new NotificationMetrics(new SimpleMeterRegistry(), null);
        recipients = new Recipients();
        for (int i = 0; i < subscribers; i++) {
            EmbeddedChannel channel = new EmbeddedChannel(new TakesEveryWrite());
            Subscriber subscriber = new Subscriber(new SocketIdentity("user-" + i, Set.of(), null),
                    new ConnectionOutbox(new ChannelTransport(channel), 1000, metrics), channel.eventLoop());
            if (i % 10 == 0) {
                subscriber.channels.add("news");
            }
            recipients.add(subscriber);
        }
        targets = switch (target) {
            case "broadcast" -> List.of(Target.EVERYONE);
            case "channel" -> List.of(new Target(null, "news"));
            case "user" -> List.of(new Target("user-0", null));
            default -> IntStream.range(0, 10).mapToObj(i -> i == 4 ? new Target(null, "news") : Target.EVERYONE).toList();
        };
        frames = TextFrames.encode(targets.stream()
                .map(each -> "{\"id\":\"0-1\",\"message\":\"Deploy finished\",\"timestamp\":\"2026-12-02T03:00:00Z\"}").toList());
    }

    /** Who gets it, then handing it to each of them (the broadcaster's lock and the hop to the loop left out). */
    @Benchmark
    public void deliverOneBatch() {
        recipients.deliver(targets, frames, new HashMap<>()).run();
    }

    /** The far end of a channel: takes each write at once, and frees nothing (the frames are shared, unreleasable). */
    static final class TakesEveryWrite extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ReferenceCountUtil.release(msg);
            promise.setSuccess();
        }
    }
}
