// Live notifications over the browser's own WebSocket. Everything a notification carries is
// inserted with textContent, never as HTML.
(function () {
    'use strict';

    const MAX_SHOWN = 200;
    // A socket reads at most 100 channels (notifications.channels.max-per-socket); all of them are asked for again at
    // every reconnect, and the server's request line (16 KiB) has room for 100 of the longest names and a resume.
    const MAX_CHANNELS = 100;
    const CHANNEL_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
    const ID = /^[0-9]+-[0-9]+$/;
    const BACKOFF_MIN_MS = 500;
    const BACKOFF_MAX_MS = 10000;

    const state = document.getElementById('state');
    const list = document.getElementById('notifications');
    const empty = document.getElementById('empty');
    const form = document.getElementById('send');
    const input = document.getElementById('message');
    const level = document.getElementById('level');
    const feedback = document.getElementById('feedback');
    const who = document.getElementById('who');
    const signIn = document.getElementById('sign-in'); // dev and test builds only
    const signOut = document.getElementById('sign-out');
    const joinForm = document.getElementById('join');
    const channelInput = document.getElementById('channel');
    const channelList = document.getElementById('channels');
    const toUser = document.getElementById('to-user');
    const toChannel = document.getElementById('to-channel');

    // Where publishing needs an API key, open the page as /?api-key=<key>; it is handed to the socket.
    const apiKey = new URLSearchParams(location.search).get('api-key');
    // The last id seen of each partition survives drops and reloads of this tab: reconnecting with
    // ?since=<id>,<id>,... replays what was missed. Stored as {"<partition>": "<partition>-<offset>"}, one set per
    // identity: what one user has seen says nothing about what another (or nobody) was sent.
    const LAST_IDS = 'notifications.lastIds';
    // Who this tab is: an access token (per tab, like the ids), from the dev sign-in or handed over by the
    // page that opened this one as #access-token=<token> (a fragment never reaches a server or its logs).
    const TOKEN = 'notifications.token';
    // The channels this tab reads; joined again at every reconnect with ?channels=.
    const CHANNELS = 'notifications.channels';
    let socket = null;
    let retry = null; // the reconnect the last close scheduled
    let backoff = BACKOFF_MIN_MS;

    const handedOver = new URLSearchParams(location.hash.slice(1)).get('access-token');
    if (handedOver) {
        sessionStorage.setItem(TOKEN, handedOver);
        history.replaceState(null, '', location.pathname + location.search);
    }

    function token() {
        return sessionStorage.getItem(TOKEN);
    }

    /** The token's claims, read for display and its expiry only: the server verifies it. */
    function claims() {
        const jwt = token();
        if (!jwt) {
            return {};
        }
        try {
            const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
            return JSON.parse(decodeURIComponent(escape(atob(payload))));
        } catch (e) {
            return {};
        }
    }

    function currentUser() {
        return claims().sub || null;
    }

    /** A stored token that expired meanwhile would only be refused: drop it and say so. */
    function dropExpiredToken() {
        const exp = claims().exp;
        if (token() && (!exp || exp * 1000 <= Date.now())) {
            sessionStorage.removeItem(TOKEN);
            feedback.textContent = 'Your sign-in expired; sign in again.';
            showIdentity();
        }
    }

    function channels() {
        try {
            return JSON.parse(sessionStorage.getItem(CHANNELS)) || [];
        } catch (e) {
            return [];
        }
    }

    function setChannels(names) {
        names = names.slice(0, MAX_CHANNELS);
        sessionStorage.setItem(CHANNELS, JSON.stringify(names));
        channelList.replaceChildren(...names.map(function (name) {
            const item = document.createElement('li');
            item.dataset.channel = name;
            item.append(name);
            const leave = document.createElement('button');
            leave.type = 'button';
            leave.textContent = '\u00d7';
            leave.title = 'Leave ' + name;
            leave.addEventListener('click', function () {
                sendFrame({ type: 'unsubscribe', channel: name });
            });
            item.appendChild(leave);
            return item;
        }));
    }

    function showIdentity() {
        const user = currentUser();
        who.textContent = user ? 'signed in as ' + user : 'anonymous';
        who.dataset.user = user || '';
        signOut.hidden = !user;
        // For inbox.js: who this tab is now (read at its start), and an event when that changes.
        window.notificationIdentity = { user: user, token: token() };
        window.dispatchEvent(new CustomEvent('notifications:identity', { detail: window.notificationIdentity }));
    }

    /** A new identity: the socket reconnects as it. The old one is let go first: nothing it still receives counts. */
    function reconnect() {
        showIdentity();
        showState('connecting');
        clearTimeout(retry);
        if (socket) {
            const old = socket;
            socket = null;
            old.onopen = old.onmessage = old.onclose = null;
            old.close();
        }
        connect();
    }

    function sendFrame(frame) {
        if (!socket || socket.readyState !== WebSocket.OPEN) {
            feedback.textContent = 'Not connected; try again in a moment.';
            return false;
        }
        socket.send(JSON.stringify(frame));
        return true;
    }

    function lastIdsKey() {
        const user = currentUser();
        return user ? LAST_IDS + '.' + user : LAST_IDS;
    }

    function lastIds() {
        try {
            return JSON.parse(sessionStorage.getItem(lastIdsKey())) || {};
        } catch (e) {
            return {};
        }
    }

    /** Keeps the id as its partition's last, unless a later one of that partition is kept already. */
    function rememberId(id) {
        const ids = lastIds();
        const [partition, offset] = id.split('-');
        const kept = ids[partition];
        if (!kept || !ID.test(kept) || BigInt(kept.split('-')[1]) < BigInt(offset)) {
            ids[partition] = id;
            sessionStorage.setItem(lastIdsKey(), JSON.stringify(ids));
        }
    }

    /** Forgets the ids the server can never resume from (all of them when it names none). */
    function forgetIds(unknown) {
        if (!Array.isArray(unknown)) {
            sessionStorage.removeItem(lastIdsKey());
            return;
        }
        const ids = lastIds();
        unknown.forEach(function (id) {
            const partition = id.split('-')[0];
            if (ids[partition] === id) {
                delete ids[partition];
            }
        });
        sessionStorage.setItem(lastIdsKey(), JSON.stringify(ids));
    }

    function showState(name) {
        state.textContent = name;
        state.className = 'state ' + name;
    }

    /**
     * The socket's address. Channel names (A-Z a-z 0-9 _ . : -) and ids (digits and -) are safe in a query as they
     * are: written unescaped, 100 channels of the longest names take 6.5 KB of the server's 16 KiB request line.
     */
    function socketUrl() {
        const params = [];
        if (apiKey) {
            params.push('api-key=' + encodeURIComponent(apiKey));
        }
        const names = channels().filter(function (name) { return CHANNEL_NAME.test(name); }).slice(0, MAX_CHANNELS);
        if (names.length > 0) {
            params.push('channels=' + names.join(','));
        }
        const since = Object.values(lastIds()).filter(function (id) { return ID.test(id); }).join(',');
        if (since) {
            params.push('since=' + since);
        }
        return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/notifications'
            + (params.length > 0 ? '?' + params.join('&') : '');
    }

    function connect() {
        dropExpiredToken();
        const jwt = token();
        // Browsers cannot set headers on a WebSocket: the token travels as a subprotocol, next to the one spoken.
        const current = jwt
            ? new WebSocket(socketUrl(), ['notifications', 'quarkus-http-upgrade#Authorization#Bearer%20' + jwt])
            : new WebSocket(socketUrl());
        socket = current;
        current.onopen = function () {
            backoff = BACKOFF_MIN_MS;
            showState('live');
        };
        current.onmessage = function (event) {
            if (socket !== current) {
                return; // a socket this tab has let go of (another identity): what it says is not this tab's
            }
            const frame = JSON.parse(event.data);
            if (frame.type === 'subscribed') {
                setChannels(channels().filter(function (name) { return name !== frame.channel; }).concat([frame.channel]));
            } else if (frame.type === 'unsubscribed' || (frame.type === 'error' && (frame.channel || frame.channels))) {
                // A refusal at connect lists every channel refused for its reason in 'channels'.
                const gone = frame.channels || [frame.channel];
                setChannels(channels().filter(function (name) { return !gone.includes(name); }));
                if (frame.detail) {
                    feedback.textContent = frame.detail;
                }
            } else if (frame.type === 'error' || frame.type === 'history-gap') {
                feedback.textContent = frame.detail;
            } else if (frame.type === 'inbox') {
                // The signed-in user's stored notifications changed (or this socket just opened): inbox.js shows them.
                window.dispatchEvent(new CustomEvent('notifications:inbox', { detail: frame }));
            } else if (frame.type === 'unknown-id') {
                // Final for the ids it names (malformed, or not of this topic): the others stay.
                forgetIds(frame.unknown);
            } else if (typeof frame.message === 'string') {
                rememberId(frame.id);
                show(frame);
            }
        };
        current.onclose = function (event) {
            if (socket !== current) {
                return;
            }
            if (event.code === 4001) {
                // The token expired: sign in again (dev) or go on as anonymous.
                sessionStorage.removeItem(TOKEN);
                feedback.textContent = 'Your sign-in expired; sign in again.';
                showIdentity();
            }
            // 4009: this server has not caught up with our last id yet. The id stays: retrying can succeed.
            showState(event.code === 4009 ? 'catching-up' : 'reconnecting');
            // Full jitter, so that many pages do not reconnect in lockstep after a restart.
            const delay = Math.random() * backoff;
            backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
            retry = setTimeout(connect, delay);
        };
    }

    /**
     * The server lets only http(s) URLs and paths on this site through; the page checks again, as the browser will
     * read it, so that no other link (javascript:, data:, //other-host) is ever put in an href.
     */
    function safeLink(link) {
        if (typeof link !== 'string') {
            return null;
        }
        try {
            const url = new URL(link, window.location.href);
            const sameSite = url.origin === window.location.origin && link.startsWith('/') && !link.startsWith('//');
            const web = (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
            return web && (sameSite || /^https?:\/\//i.test(link)) ? url.href : null;
        } catch (e) {
            return null;
        }
    }

    function show(notification) {
        const item = document.createElement('li');
        item.className = notification.level || 'info';
        item.dataset.id = notification.id;
        if (notification.user && notification.user === currentUser()) {
            item.classList.add('for-you');
        }
        if (notification.user || notification.channel) {
            const target = document.createElement('span');
            target.className = 'target';
            target.textContent = notification.user ? 'for you' + (notification.channel ? ' in #' + notification.channel : '')
                : '#' + notification.channel;
            item.appendChild(target);
        }

        const time = document.createElement('time');
        time.dateTime = notification.timestamp;
        time.textContent = new Date(notification.timestamp).toLocaleTimeString();
        item.appendChild(time);

        if (notification.title) {
            const title = document.createElement('span');
            title.className = 'title';
            title.textContent = notification.title;
            item.appendChild(title);
        }

        const message = document.createElement('span');
        message.className = 'message';
        message.textContent = notification.message;
        item.appendChild(message);

        const href = safeLink(notification.link);
        if (href) {
            const link = document.createElement('a');
            link.className = 'link';
            link.href = href;
            link.rel = 'noopener noreferrer';
            link.textContent = 'Open';
            item.appendChild(link);
        }

        list.prepend(item);
        empty.hidden = true;
        while (list.children.length > MAX_SHOWN) {
            list.lastElementChild.remove();
        }
    }

    form.addEventListener('submit', function (event) {
        event.preventDefault();
        const frame = { message: input.value, level: level.value };
        if (toUser.value.trim()) {
            frame.user = toUser.value.trim();
        }
        if (toChannel.value.trim()) {
            frame.channel = toChannel.value.trim();
        }
        if (sendFrame(frame)) {
            feedback.textContent = '';
            input.value = '';
        }
    });

    joinForm.addEventListener('submit', function (event) {
        event.preventDefault();
        if (channels().length >= MAX_CHANNELS && !channels().includes(channelInput.value.trim())) {
            feedback.textContent = 'This tab reads at most ' + MAX_CHANNELS + ' channels: leave one first.';
            return;
        }
        if (sendFrame({ type: 'subscribe', channel: channelInput.value.trim() })) {
            feedback.textContent = '';
            channelInput.value = '';
        }
    });

    if (signIn) {
        signIn.addEventListener('submit', function (event) {
            event.preventDefault();
            const params = new URLSearchParams({ user: document.getElementById('user').value.trim() });
            const groups = document.getElementById('groups').value.trim();
            if (groups) {
                params.set('groups', groups);
            }
            fetch('/dev/token?' + params).then(function (response) {
                if (!response.ok) {
                    throw new Error('Could not sign in (' + response.status + ')');
                }
                return response.json();
            }).then(function (answer) {
                sessionStorage.setItem(TOKEN, answer.token);
                feedback.textContent = '';
                reconnect();
            }).catch(function (e) {
                feedback.textContent = e.message;
            });
        });
    }

    signOut.addEventListener('click', function () {
        sessionStorage.removeItem(TOKEN);
        reconnect();
    });

    setChannels(channels());
    showIdentity();
    connect();
    // The inbox (inbox.js) renders links by the same rule.
    window.notificationLinks = { safeLink: safeLink };
})();
