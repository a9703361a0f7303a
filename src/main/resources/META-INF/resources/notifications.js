// Live notifications over the browser's own WebSocket. Everything a notification carries is
// inserted with textContent, never as HTML.
(function () {
    'use strict';

    const MAX_SHOWN = 200;
    const BACKOFF_MIN_MS = 500;
    const BACKOFF_MAX_MS = 10000;

    const state = document.getElementById('state');
    const list = document.getElementById('notifications');
    const empty = document.getElementById('empty');
    const form = document.getElementById('send');
    const input = document.getElementById('message');
    const level = document.getElementById('level');
    const feedback = document.getElementById('feedback');

    // Where publishing needs an API key, open the page as /?api-key=<key>; it is handed to the socket.
    const apiKey = new URLSearchParams(location.search).get('api-key');
    // The last id seen of each partition survives drops and reloads of this tab: reconnecting with
    // ?since=<id>,<id>,... replays what was missed. Stored as {"<partition>": "<partition>-<offset>"}.
    const LAST_IDS = 'notifications.lastIds';
    let socket = null;
    let backoff = BACKOFF_MIN_MS;

    function lastIds() {
        try {
            return JSON.parse(sessionStorage.getItem(LAST_IDS)) || {};
        } catch (e) {
            return {};
        }
    }

    function showState(name) {
        state.textContent = name;
        state.className = 'state ' + name;
    }

    function socketUrl() {
        const params = new URLSearchParams();
        if (apiKey) {
            params.set('api-key', apiKey);
        }
        const since = Object.values(lastIds()).join(',');
        if (since) {
            params.set('since', since);
        }
        const query = params.toString();
        return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/notifications'
            + (query ? '?' + query : '');
    }

    function connect() {
        socket = new WebSocket(socketUrl());
        socket.onopen = function () {
            backoff = BACKOFF_MIN_MS;
            showState('live');
        };
        socket.onmessage = function (event) {
            const frame = JSON.parse(event.data);
            if (frame.type === 'error' || frame.type === 'history-gap') {
                feedback.textContent = frame.detail;
            } else if (frame.type === 'unknown-id') {
                // Final: the ids can never be resumed from (malformed, or not of this topic).
                sessionStorage.removeItem(LAST_IDS);
            } else if (typeof frame.message === 'string') {
                const ids = lastIds();
                ids[frame.id.split('-')[0]] = frame.id;
                sessionStorage.setItem(LAST_IDS, JSON.stringify(ids));
                show(frame);
            }
        };
        socket.onclose = function (event) {
            // 4009: this server has not caught up with our last id yet. The id stays: retrying can succeed.
            showState(event.code === 4009 ? 'catching-up' : 'reconnecting');
            // Full jitter, so that many pages do not reconnect in lockstep after a restart.
            const delay = Math.random() * backoff;
            backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
            setTimeout(connect, delay);
        };
    }

    function show(notification) {
        const item = document.createElement('li');
        item.className = notification.level || 'info';
        item.dataset.id = notification.id;

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

        list.prepend(item);
        empty.hidden = true;
        while (list.children.length > MAX_SHOWN) {
            list.lastElementChild.remove();
        }
    }

    form.addEventListener('submit', function (event) {
        event.preventDefault();
        if (!socket || socket.readyState !== WebSocket.OPEN) {
            feedback.textContent = 'Not connected; try again in a moment.';
            return;
        }
        socket.send(JSON.stringify({ message: input.value, level: level.value }));
        feedback.textContent = '';
        input.value = '';
    });

    connect();
})();
