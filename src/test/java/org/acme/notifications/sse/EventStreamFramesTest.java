package org.acme.notifications.sse;

import io.netty.buffer.ByteBuf;
import org.acme.notifications.frames.CloseCode;
import org.acme.notifications.frames.TextFrames;
import org.acme.notifications.history.ResumePosition;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One stream's framing without a socket: WebSocket text frames in, Server-Sent Events out. */
class EventStreamFramesTest {

    @Test
    void eachNotificationIsAnEventWhoseIdIsTheLastOffsetOfEveryPartitionSeen() {
        EventStreamFrames stream = new EventStreamFrames(null);

        String events = text(stream.events(TextFrames.encode(List.of(
                "{\"id\":\"1-17\",\"message\":\"a\"}", "{\"id\":\"0-41\",\"message\":\"b\"}", "{\"id\":\"1-18\",\"message\":\"c\"}")).all()));

        assertEquals("""
                id: 1-17
                data: {"id":"1-17","message":"a"}

                id: 0-41,1-17
                data: {"id":"0-41","message":"b"}

                id: 0-41,1-18
                data: {"id":"1-18","message":"c"}

                """, events);
    }

    @Test
    void aResumedStreamKeepsThePartitionsItHasNotSeenSince() {
        EventStreamFrames stream = new EventStreamFrames(ResumePosition.parse("0-41,1-17,2-9"));

        String events = text(stream.events(TextFrames.encode(List.of("{\"id\":\"2-10\",\"message\":\"a\"}")).all()));

        assertEquals("id: 0-41,1-17,2-10\ndata: {\"id\":\"2-10\",\"message\":\"a\"}\n\n", events);
        assertEquals("0-41,1-17,2-10", stream.position());
    }

    @Test
    void controlFramesAreNamedEventsAndAnErrorIsARefusal() {
        EventStreamFrames stream = new EventStreamFrames(ResumePosition.parse("0-3"));

        String events = text(stream.events(TextFrames.encode(List.of(
                "{\"type\":\"error\",\"code\":\"forbidden-channel\",\"channel\":\"ops\"}",
                "{\"type\":\"resumed\",\"since\":\"0-3\",\"replayed\":0}",
                "{\"type\":\"inbox\",\"unread\":2,\"unseen\":1}")).all()));

        assertEquals("""
                event: refused
                id: 0-3
                data: {"type":"error","code":"forbidden-channel","channel":"ops"}

                event: resumed
                id: 0-3
                data: {"type":"resumed","since":"0-3","replayed":0}

                event: inbox
                id: 0-3
                data: {"type":"inbox","unread":2,"unseen":1}

                """, events);
    }

    @Test
    void unknownIdForgetsWhatItNamesAndAllOfAPositionThatIsNone() {
        EventStreamFrames partly = new EventStreamFrames(ResumePosition.parse("0-3,7-2"));
        String forgotten = text(partly.events(TextFrames.encode(List.of("{\"type\":\"unknown-id\",\"since\":\"0-3,7-2\",\"unknown\":[\"7-2\"]}")).all()));
        assertEquals("0-3", partly.position());
        assertEquals("event: unknown-id\nid: 0-3\n", forgotten.substring(0, forgotten.indexOf("data:")));

        EventStreamFrames none = new EventStreamFrames(null);
        String all = text(none.events(TextFrames.encode(List.of("{\"type\":\"unknown-id\",\"since\":\"x\"}")).all()));
        assertEquals("event: unknown-id\nid:\ndata: {\"type\":\"unknown-id\",\"since\":\"x\"}\n\n", all);
    }

    @Test
    void framesOfEveryHeaderLengthAreRead() {
        EventStreamFrames stream = new EventStreamFrames(null);
        String medium = "{\"id\":\"0-1\",\"message\":\"" + "m".repeat(300) + "\"}";
        String large = "{\"id\":\"0-2\",\"message\":\"" + "l".repeat(70_000) + "\"}";

        String events = text(stream.events(TextFrames.encode(List.of(medium, large)).all()));

        assertEquals("id: 0-1\ndata: " + medium + "\n\nid: 0-2\ndata: " + large + "\n\n", events);
    }

    @Test
    void theLastEventOfAStreamTheServiceEndsSaysWhy() {
        assertEquals("event: close\ndata: {\"type\":\"close\",\"code\":4001,\"reason\":\"access token expired\"}\n\n",
                text(EventStreamFrames.close(CloseCode.TOKEN_EXPIRED, "access token expired")));
    }

    private static String text(ByteBuf events) {
        return events.toString(StandardCharsets.UTF_8);
    }
}
