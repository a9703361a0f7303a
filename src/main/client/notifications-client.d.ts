// Types of notifications-client.js (docs/protocol.md describes the frames).

export const BACKOFF_MIN_MS: number;
export const BACKOFF_MAX_MS: number;
export const DEAD_AFTER_MS: number;
export const CONNECT_TIMEOUT_MS: number;
export const PING_AFTER_MS: number;
export const WEBSOCKET_RETRY_MS: number;
export const STABLE_AFTER_MS: number;
export const MAX_CHANNELS: number;

export type Level = 'info' | 'success' | 'warning' | 'error';

/** What publish() sends: a notification without its id and timestamp. */
export interface NewNotification {
    message: string;
    title?: string;
    level?: Level;
    user?: string;
    channel?: string;
    link?: string;
    data?: Record<string, unknown>;
}

/** A notification as the service delivers it; id is "<partition>-<offset>". */
export interface Notification extends NewNotification {
    id: string;
    timestamp: string;
}

/** A frame about the stream itself: resumed, history-gap, unknown-id, subscribed, unsubscribed, inbox, error. */
export interface ControlFrame {
    type: string;
    code?: string;
    status?: number;
    channel?: string;
    channels?: string[];
    since?: string;
    replayed?: number;
    oldest?: string;
    after?: string;
    unknown?: string[];
    unread?: number;
    unseen?: number;
    detail?: string;
}

export type Status = 'connecting' | 'live' | 'reconnecting' | 'catching-up' | 'offline' | 'closed';

export interface StatusDetail {
    transport?: 'websocket' | 'sse';
    /** The close code that ended the last connection (1006: it broke or could not be opened). */
    code?: number;
    reason?: string;
    /** The HTTP status that refused a stream. */
    status?: number;
    /** How long until the next attempt, in ms. */
    delay?: number;
    detail?: string;
}

export interface ConnectOptions {
    /** The service's address ("https://notify.example.com"); the page's own origin by default. */
    url?: string;
    /** The subscriber's access token, or null for anonymous; called before every connect and inbox call. */
    getToken?: () => string | null | Promise<string | null>;
    /** An API key, where subscribing (or publishing) needs one. */
    apiKey?: string;
    /** Channels to read from the start (at most MAX_CHANNELS). */
    channels?: string[];
    /** Where to resume from: "0-41,1-17", as `position` gave it. */
    since?: string;
    /** Keeps the position across reloads (sessionStorage, say), under storageKey. */
    storage?: Pick<Storage, 'getItem' | 'setItem'>;
    storageKey?: string;
    /** 'auto' (the default): the WebSocket, and the event stream when it cannot be opened. */
    transport?: 'auto' | 'websocket' | 'sse';
    onNotification?: (notification: Notification) => void;
    onControl?: (frame: ControlFrame) => void;
    onStatus?: (status: Status, detail: StatusDetail) => void;
}

export interface InboxItem extends Notification {
    seenAt: string | null;
    readAt: string | null;
    archivedAt: string | null;
}

export interface InboxCounts {
    unread: number;
    unseen: number;
}

export interface InboxPage extends InboxCounts {
    items: InboxItem[];
    next: string | null;
}

export interface Inbox {
    list(query?: { limit?: number; before?: string; status?: 'all' | 'unread'; archived?: boolean }): Promise<InboxPage>;
    counts(): Promise<InboxCounts>;
    mark(action: 'seen' | 'read' | 'unread' | 'archive' | 'unarchive', which: string[] | 'all'): Promise<InboxCounts>;
}

export interface NotificationClient {
    /**
     * Settles with the server's answer: {type: 'subscribed', channel, after?}, or rejects with its refusal (or with
     * 'unsubscribed' if unsubscribe(channel) came first).
     */
    subscribe(channel: string): Promise<ControlFrame>;
    unsubscribe(channel: string): Promise<ControlFrame>;
    /** Over REST; resolves with the accepted notification. */
    publish(notification: NewNotification): Promise<Notification>;
    readonly inbox: Inbox;
    /** The last id of every partition delivered. */
    readonly position: string;
    readonly transport: 'websocket' | 'sse';
    readonly status: Status | null;
    close(): void;
}

export class NotificationError extends Error {
    /** The HTTP status (or the error frame's); 0 for the client's own: closed, unsubscribed; absent if none was given. */
    status?: number;
    /** The problem's code: unauthorized, forbidden-channel, rate-limited, or closed, unsubscribed... */
    code?: string;
}

export function connect(options?: ConnectOptions): NotificationClient;
