// The client of the notification service, for any page (and for programs on runtimes with fetch and WebSocket).
// One ES module, no dependencies, no build step: served by the service at /notifications-client.js, and publishable
// to npm from this directory. docs/protocol.md describes the protocol it speaks; notifications-client.d.ts its API.

/** Reconnects wait a random time between 0 and the backoff, which doubles from the first bound to the second. */
export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 20000;
/** Nothing at all from the server for this long (no frame, no pong, no keep-alive): the connection is dead. */
export const DEAD_AFTER_MS = 30000;
/** A connection not open after this long (a proxy that holds the upgrade, say) is given up. */
export const CONNECT_TIMEOUT_MS = 10000;
/** A quiet socket is pinged after this long; the server answers at once. A stream gets keep-alives every 20 s. */
export const PING_AFTER_MS = 20000;
/** On the event stream because the WebSocket could not be opened: it is tried again this often. */
export const WEBSOCKET_RETRY_MS = 60000;
/** A connection that stayed up this long was a success: the next failure starts the backoff from its first bound. */
export const STABLE_AFTER_MS = 10000;
/** A connection reads at most 100 channels (the server's notifications.channels.max-per-socket by default). */
export const MAX_CHANNELS = 100;

const ID = /^([0-9]+)-([0-9]+)$/;
const CHANNEL_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const NOTHING = () => {};

/** A refusal by the service: its HTTP status and problem code, or the code of an error frame. */
export class NotificationError extends Error {
    constructor(detail, status, code) {
        super(detail);
        this.name = 'NotificationError';
        this.status = status;
        this.code = code;
    }
}

/** Connects now, and stays connected (reconnecting, resuming) until close(). */
export function connect(options = {}) {
    return new NotificationClient(options);
}

class NotificationClient {
    constructor(options) {
        const base = options.url ?? globalThis.location?.origin;
        if (!base) {
            throw new TypeError("connect({url}): the service's address, such as 'https://notify.example.com'");
        }
        this.base = new URL(base);
        this.getToken = options.getToken ?? (() => null);
        this.apiKey = options.apiKey ?? null;
        this.onNotification = options.onNotification ?? NOTHING;
        this.onControl = options.onControl ?? NOTHING;
        this.onStatus = options.onStatus ?? NOTHING;
        this.preference = options.transport ?? 'auto';
        this.storage = options.storage ?? null;
        this.storageKey = options.storageKey ?? 'notifications.position';
        this.channels = new Set((options.channels ?? []).filter((name) => CHANNEL_NAME.test(name)).slice(0, MAX_CHANNELS));
        this.positions = readPosition(options.since ?? this.storage?.getItem(this.storageKey) ?? '');
        this.requests = []; // subscribe and unsubscribe calls not answered yet, oldest first
        this.backoff = BACKOFF_MIN_MS;
        this.useStream = this.preference === 'sse';
        this.connection = null;
        this.attempt = 0;
        this.closed = false;
        this.timers = {};
        this.listeners = [];
        this.status = null;
        const page = globalThis.window;
        if (page?.addEventListener) {
            this.listen(page, 'offline', () => this.goOffline());
            this.listen(page, 'online', () => this.goOnline());
        }
        this.open();
    }

    /** Reads the channel from now on; settles with the server's answer ({type: 'subscribed', ...}, or the refusal). */
    subscribe(channel) {
        if (!CHANNEL_NAME.test(channel)) {
            return Promise.reject(invalidChannel());
        }
        if (!this.wanted().includes(channel) && this.wanted().length >= MAX_CHANNELS) {
            return Promise.reject(new NotificationError('A connection reads at most ' + MAX_CHANNELS + ' channels', 429, 'too-many-channels'));
        }
        return this.request('subscribe', channel);
    }

    /**
     * Stops reading the channel; settles when the server confirms (at once while not connected). A subscribe to it not
     * answered yet is rejected ('unsubscribed'): the last call wins.
     */
    unsubscribe(channel) {
        if (!CHANNEL_NAME.test(channel)) {
            return Promise.reject(invalidChannel());
        }
        this.channels.delete(channel);
        this.requests.filter((request) => request.kind === 'subscribe' && request.channel === channel)
            .forEach((request) => this.settle(request, new NotificationError('Unsubscribed before the answer came', 0, 'unsubscribed')));
        return this.request('unsubscribe', channel);
    }

    /** Publishes over REST (with the apiKey, if any); resolves with the accepted notification and its id. */
    publish(notification) {
        const headers = { 'Content-Type': 'application/json' };
        if (this.apiKey) {
            headers.Authorization = 'Bearer ' + this.apiKey;
        }
        return this.call('/api/notifications', { method: 'POST', headers, body: JSON.stringify(notification) });
    }

    /** The signed-in user's inbox (docs/inbox.md), with the token of getToken. */
    get inbox() {
        const client = this;
        const withToken = async (path, body) => {
            const token = await client.getToken();
            const headers = token ? { Authorization: 'Bearer ' + token } : {};
            if (body === undefined) {
                return client.call(path, { headers });
            }
            headers['Content-Type'] = 'application/json';
            return client.call(path, { method: 'POST', headers, body: JSON.stringify(body) });
        };
        return {
            list(query = {}) {
                const params = new URLSearchParams();
                Object.entries(query).forEach(([name, value]) => value != null && params.set(name, String(value)));
                const search = params.toString();
                return withToken('/api/inbox' + (search ? '?' + search : ''));
            },
            counts: () => withToken('/api/inbox/counts'),
            /** action: seen, read, unread, archive or unarchive; which: an array of ids, or 'all'. */
            mark: (action, which) => withToken('/api/inbox/' + action, which === 'all' ? { all: true } : { ids: which }),
        };
    }

    /** The last id of every partition delivered: what a reconnect resumes from ("0-41,1-17"). */
    get position() {
        return writePosition(this.positions);
    }

    /** 'websocket' or 'sse': what the current (or next) connection is. */
    get transport() {
        return this.useStream ? 'sse' : 'websocket';
    }

    /** Closes for good: no reconnect; calls not answered yet are rejected. */
    close() {
        if (this.closed) {
            return;
        }
        this.closed = true;
        this.drop();
        Object.values(this.timers).forEach(clearTimeout);
        this.listeners.forEach(([target, type, listener]) => target.removeEventListener(type, listener));
        this.requests.splice(0).forEach((request) => request.reject(new NotificationError('The client was closed', 0, 'closed')));
        this.setStatus('closed', {});
    }

    // ---- connecting ----

    async open() {
        clearTimeout(this.timers.retry);
        if (this.closed || this.connection) {
            return;
        }
        if (globalThis.navigator?.onLine === false) {
            this.setStatus('offline', {});
            return;
        }
        const attempt = ++this.attempt;
        this.setStatus('connecting', { transport: this.transport });
        let token;
        try {
            token = await this.getToken(); // before every connect: the token may have expired since the last one
        } catch (failure) {
            this.retry({ detail: 'getToken failed: ' + failure.message });
            return;
        }
        if (attempt !== this.attempt || this.closed || this.connection) {
            return; // superseded (closed, offline, or another attempt) while the token came
        }
        let connection;
        try {
            connection = this.useStream ? new StreamConnection(this, this.url(), token) : new SocketConnection(this, this.url(), token);
        } catch (refused) {
            this.retry({ transport: this.transport, detail: refused.message }); // e.g. ws: from an https: page
            return;
        }
        this.connection = connection;
        this.heard(connection);
    }

    /** The channels read, and those asked for and not answered yet. */
    wanted() {
        const channels = new Set(this.channels);
        this.requests.filter((request) => request.kind === 'subscribe').forEach((request) => channels.add(request.channel));
        return [...channels];
    }

    /** The address of a stream, or of a socket (with the API key, if any). */
    address(stream) {
        if (stream) {
            return new URL('/sse/notifications', this.base);
        }
        const url = new URL('/ws/notifications', this.base);
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        if (this.apiKey) {
            url.searchParams.set('api-key', this.apiKey);
        }
        return url;
    }

    /** The address of the next connection: its channels (and those asked for), and its resume position. */
    url() {
        const url = this.address(this.useStream);
        const channels = this.wanted();
        const query = [];
        if (channels.length > 0) {
            // Channel names and ids are safe in a query as they are; unescaped they leave room in the 16 KiB request line.
            query.push('channels=' + channels.join(','));
        }
        if (this.positions.size > 0) {
            query.push('since=' + this.position);
        }
        const search = url.searchParams.toString();
        url.search = [search, ...query].filter(Boolean).join('&');
        return url.href;
    }

    opened(connection) {
        if (connection !== this.connection) {
            return;
        }
        // Only a connection that stays up resets the backoff: one closed at once (4008, 4009) is a failure too.
        this.timers.stable = setTimeout(() => { this.backoff = BACKOFF_MIN_MS; }, STABLE_AFTER_MS);
        this.setStatus('live', { transport: this.transport });
        [...this.requests].forEach((request) => {
            request.sent = false; // answered through ?channels= (a subscribe) or not needed any more (an unsubscribe)
            if (request.kind === 'unsubscribe') {
                this.settle(request, { type: 'unsubscribed', channel: request.channel });
            }
        });
        if (this.useStream && this.preference === 'auto') {
            this.timers.probe = setTimeout(() => this.probeWebSocket(), WEBSOCKET_RETRY_MS);
        }
    }

    /** The connection ended: code (a close code, or 1006 for a connection that broke), and how it went. */
    ended(connection, { code, reason, opened, status, retryAfter }) {
        if (connection !== this.connection) {
            return;
        }
        this.connection = null;
        this.stopTimers();
        const detail = { transport: connection.kind, code, reason, status };
        if (!opened && connection.kind === 'websocket' && this.preference === 'auto') {
            // The upgrade was refused or broken (a proxy that does not pass WebSockets, say): try the stream at once.
            // If the stream cannot be opened either, the service is unreachable, and the socket is tried first again.
            this.useStream = true;
            this.open();
            return;
        }
        if (!opened && connection.kind === 'sse' && this.preference === 'auto') {
            this.useStream = false;
        }
        if (code === 4001) {
            this.retry(detail, 0); // the token expired: getToken gives a new one, and the resume goes on
        } else if (code === 4009) {
            this.retry(detail, undefined, 'catching-up'); // this replica has not reached our position: retry with it
        } else if (retryAfter) {
            this.retry(detail, retryAfter * 1000 + Math.random() * this.backoff); // jittered, so that not all come back at once
        } else {
            this.retry(detail);
        }
    }

    /** Reconnects after a random wait up to the backoff (full jitter), or after exactly `delay`. */
    retry(detail, delay, status = 'reconnecting') {
        if (this.closed) {
            return;
        }
        const wait = delay ?? Math.random() * this.backoff;
        this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
        this.setStatus(status, { ...detail, delay: Math.round(wait) });
        this.timers.retry = setTimeout(() => this.open(), wait);
    }

    /** Drops the current connection without reconnecting (the caller decides what comes next). */
    drop() {
        const connection = this.connection;
        this.connection = null;
        this.attempt++;
        this.stopTimers();
        clearTimeout(this.timers.retry);
        connection?.close();
    }

    /** The timers of a connection: the liveness check, the WebSocket probe, the backoff reset. */
    stopTimers() {
        clearInterval(this.timers.alive);
        clearTimeout(this.timers.probe);
        clearTimeout(this.timers.stable);
        this.probe?.close();
        this.probe = null;
    }

    goOffline() {
        this.drop();
        this.setStatus('offline', {});
    }

    goOnline() {
        if (!this.closed && !this.connection) {
            this.backoff = BACKOFF_MIN_MS;
            this.open();
        }
    }

    /**
     * Only a socket that opens is proof: then the stream is closed and the socket resumes where the stream was. A probe
     * not open within the connect timeout, or refused, is tried again later.
     */
    probeWebSocket() {
        const stream = this.connection;
        const again = () => {
            if (this.connection === stream && !this.closed) {
                clearTimeout(this.timers.probe);
                this.probe?.close();
                this.probe = null;
                this.timers.probe = setTimeout(() => this.probeWebSocket(), WEBSOCKET_RETRY_MS);
            }
        };
        Promise.resolve().then(() => this.getToken()).then((token) => {
            if (this.connection !== stream || this.closed) {
                return; // the stream ended, or the client was closed, while the token came
            }
            const probe = openWebSocket(this.address(false).href, token);
            this.probe = { close: () => { probe.onopen = probe.onclose = null; probe.close(1000); } };
            this.timers.probe = setTimeout(again, CONNECT_TIMEOUT_MS);
            probe.onopen = () => {
                if (this.connection === stream && !this.closed) {
                    this.drop(); // closes the probe too
                    this.useStream = false;
                    this.open();
                }
            };
            probe.onclose = again;
        }).catch(again);
    }

    /** Anything from the server proves the connection alive; a quiet socket is pinged, a silent one is dead. */
    heard(connection) {
        connection.lastHeard = Date.now();
        clearInterval(this.timers.alive);
        this.timers.alive = setInterval(() => {
            const quiet = Date.now() - connection.lastHeard;
            if (quiet >= (connection.live ? DEAD_AFTER_MS : CONNECT_TIMEOUT_MS)) {
                const opened = connection.live;
                connection.close();
                this.ended(connection, { code: 4000, reason: 'nothing from the server for ' + quiet + ' ms', opened });
            } else if (quiet >= PING_AFTER_MS && !connection.pinged) {
                connection.pinged = connection.send({ type: 'ping' });
            }
        }, 1000);
    }

    // ---- what the server says ----

    received(connection, frame) {
        if (connection !== this.connection) {
            return; // a connection let go of: what it still says is not ours
        }
        connection.lastHeard = Date.now();
        connection.pinged = false;
        if (frame === null) {
            return; // a keep-alive
        }
        if (typeof frame.message === 'string' && ID.test(frame.id)) {
            if (this.advance(frame.id)) {
                callBack(this.onNotification, frame);
            }
            return;
        }
        switch (frame.type) {
            case 'pong':
                return;
            case 'subscribed':
                this.channels.add(frame.channel);
                this.answer('subscribe', frame.channel, frame);
                break;
            case 'unsubscribed':
                this.answer('unsubscribe', frame.channel, frame);
                break;
            case 'unknown-id':
                this.forget(frame.unknown); // final for the ids it names: no retry changes it
                break;
            case 'error':
                this.refused(frame);
                break;
        }
        callBack(this.onControl, frame);
    }

    /** Keeps the notification's id as its partition's position; false for one delivered already. */
    advance(id) {
        const [, partition, offset] = ID.exec(id);
        const known = this.positions.get(partition);
        if (known !== undefined && BigInt(offset) <= known) {
            return false;
        }
        this.positions.set(partition, BigInt(offset));
        this.storage?.setItem(this.storageKey, this.position);
        return true;
    }

    forget(unknown) {
        if (Array.isArray(unknown)) {
            unknown.forEach((id) => {
                const match = ID.exec(id);
                if (match && this.positions.get(match[1]) === BigInt(match[2])) {
                    this.positions.delete(match[1]);
                }
            });
        } else {
            this.positions.clear();
        }
        this.storage?.setItem(this.storageKey, this.position);
    }

    refused(frame) {
        const channels = frame.channels ?? (frame.channel ? [frame.channel] : []);
        const failure = new NotificationError(frame.detail, frame.status, frame.code);
        channels.forEach((channel) => {
            this.channels.delete(channel);
            this.answer('subscribe', channel, failure);
        });
        if (channels.length === 0) {
            // Not about a channel: the answer to the oldest frame sent (the server answers in order).
            const oldest = this.requests.find((request) => request.sent);
            if (oldest) {
                this.settle(oldest, failure);
            }
        }
    }

    // ---- subscribe and unsubscribe ----

    request(kind, channel) {
        return new Promise((resolve, reject) => {
            const request = { kind, channel, resolve, reject, sent: false };
            this.requests.push(request);
            const connection = this.connection;
            if (connection?.live && connection.kind === 'websocket') {
                request.sent = connection.send({ type: kind, channel });
            } else if (connection) {
                // A stream reads the channels of its address, and a connection being opened has its address already:
                // open again, from the same position, with the channels as they are now.
                this.drop();
                this.open();
            } else if (kind === 'unsubscribe') {
                this.settle(request, { type: 'unsubscribed', channel }); // the next connection will not name it
            } // a subscribe while not connected: the next connection names it, and its answer settles this
        });
    }

    /** One answer settles every call of that kind for that channel (two subscribes to one channel get one answer). */
    answer(kind, channel, outcome) {
        this.requests.filter((candidate) => candidate.kind === kind && candidate.channel === channel)
            .forEach((request) => this.settle(request, outcome));
    }

    settle(request, outcome) {
        this.requests.splice(this.requests.indexOf(request), 1);
        if (outcome instanceof Error) {
            request.reject(outcome);
        } else {
            request.resolve(outcome);
        }
    }

    // ---- helpers ----

    async call(path, init) {
        const response = await fetch(new URL(path, this.base), init);
        const text = await response.text();
        let body = null;
        try {
            body = text ? JSON.parse(text) : null;
        } catch (notJson) {
            if (response.ok) {
                throw new NotificationError('The answer is not JSON', response.status, 'invalid-answer');
            } // an error page of a proxy, say: its status says enough
        }
        if (!response.ok) {
            const code = body?.type?.replace('urn:notifications:problem:', '');
            throw new NotificationError(body?.detail ?? 'HTTP ' + response.status, response.status, code);
        }
        return body;
    }

    setStatus(status, detail) {
        this.status = status;
        callBack(this.onStatus, status, detail);
    }

    listen(target, type, listener) {
        target.addEventListener(type, listener);
        this.listeners.push([target, type, listener]);
    }
}

/** A page's callback that throws is reported, and changes nothing of the connection. */
function callBack(callback, ...values) {
    try {
        callback(...values);
    } catch (failure) {
        (globalThis.reportError ?? console.error)(failure);
    }
}

function invalidChannel() {
    return new NotificationError('A channel name is 1-64 of A-Z a-z 0-9 _ - . :', 400, 'invalid-channel');
}

/** Browsers cannot set headers on a WebSocket: the token travels as a subprotocol, next to the one spoken. */
function openWebSocket(url, token) {
    return token ? new WebSocket(url, ['notifications', 'quarkus-http-upgrade#Authorization#Bearer%20' + token])
        : new WebSocket(url);
}

class SocketConnection {
    constructor(client, url, token) {
        this.kind = 'websocket';
        this.live = false;
        this.socket = openWebSocket(url, token);
        this.socket.onopen = () => {
            this.live = true;
            client.opened(this);
        };
        this.socket.onmessage = (event) => {
            let frame;
            try {
                frame = JSON.parse(event.data);
            } catch (e) {
                return;
            }
            client.received(this, frame);
        };
        this.socket.onclose = (event) => {
            const opened = this.live;
            this.live = false;
            client.ended(this, { code: event.code, reason: event.reason, opened });
        };
    }

    send(frame) {
        if (this.socket.readyState !== WebSocket.OPEN) {
            return false;
        }
        this.socket.send(JSON.stringify(frame));
        return true;
    }

    close() {
        this.live = false;
        this.socket.onopen = this.socket.onmessage = this.socket.onclose = null;
        this.socket.close(1000);
    }
}

/**
 * The event stream, read with fetch rather than EventSource: it sends the token as a header (never in the URL), tells a
 * refusal's status (401, 503) from a broken connection, sees the keep-alive comments, and leaves reconnecting to the
 * client, which resumes with the position of every partition.
 */
class StreamConnection {
    constructor(client, url, token) {
        this.kind = 'sse';
        this.live = false;
        this.aborted = new AbortController();
        const headers = { Accept: 'text/event-stream' };
        if (token) {
            headers.Authorization = 'Bearer ' + token;
        }
        if (client.apiKey) {
            headers['X-API-Key'] = client.apiKey;
        }
        let end = { code: 1006, reason: 'the stream broke' };
        fetch(url, { headers, cache: 'no-store', signal: this.aborted.signal }).then(async (response) => {
            if (!response.ok) {
                const problem = await response.json().catch(() => ({}));
                end = { code: 1006, reason: problem.detail ?? 'HTTP ' + response.status, status: response.status,
                    retryAfter: Number(response.headers.get('Retry-After')) || undefined };
                return;
            }
            this.live = true;
            client.opened(this);
            await readEvents(response.body, (name, data) => {
                if (name === 'close') {
                    end = JSON.parse(data); // {type: 'close', code, reason}: the end of the stream follows
                } else {
                    client.received(this, name === null ? null : JSON.parse(data));
                }
            });
        }).catch(NOTHING).finally(() => {
            const opened = this.live;
            this.live = false;
            if (!this.aborted.signal.aborted) {
                this.aborted.abort(); // a stream that is not read any more must not stay open (it holds a place)
                client.ended(this, { ...end, opened });
            }
        });
    }

    send() {
        return false; // a stream only reads
    }

    close() {
        this.live = false;
        this.aborted.abort();
    }
}

/**
 * Parses text/event-stream as the SSE specification does: fields until a blank line, which dispatches the event.
 * onEvent(name, data): name 'message' for a notification, the event's name for a control frame, null for a comment.
 */
async function readEvents(body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let name = 'message';
    let data = [];
    for (;;) {
        const { value, done } = await reader.read();
        if (done) {
            return;
        }
        buffer += value;
        // A \r at the end may be the first half of a \r\n: kept for the next chunk, not read as a line of its own.
        const cut = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
        const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
        buffer = lines.pop() + buffer.slice(cut);
        for (const line of lines) {
            if (line === '') {
                if (data.length > 0) {
                    onEvent(name, data.join('\n'));
                }
                name = 'message';
                data = [];
            } else if (line.startsWith(':')) {
                onEvent(null, null);
            } else {
                const colon = line.indexOf(':');
                const field = colon < 0 ? line : line.slice(0, colon);
                const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
                if (field === 'event') {
                    name = value;
                } else if (field === 'data') {
                    data.push(value);
                }
            }
        }
    }
}

/** "0-41,1-17" as partition → offset; what is not an id is left out. */
function readPosition(text) {
    const positions = new Map();
    String(text).split(',').forEach((id) => {
        const match = ID.exec(id.trim());
        if (match && (!positions.has(match[1]) || positions.get(match[1]) < BigInt(match[2]))) {
            positions.set(match[1], BigInt(match[2]));
        }
    });
    return positions;
}

function writePosition(positions) {
    return [...positions].map(([partition, offset]) => partition + '-' + offset).join(',');
}
