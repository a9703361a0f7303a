// The page's live notifications, through the client library (/notifications-client.js): who this tab is, its
// channels, and a form to send one. Everything a notification carries is inserted with textContent, never as HTML.
import { connect, MAX_CHANNELS } from '/notifications-client.js';

const MAX_SHOWN = 200;
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

const params = new URLSearchParams(location.search);
// Where publishing needs an API key, open the page as /?api-key=<key>; ?transport=sse reads the event stream only.
const apiKey = params.get('api-key');
const transport = params.get('transport') === 'sse' ? 'sse' : 'auto';
// Who this tab is: an access token (per tab), from the dev sign-in or handed over by the page that opened this one as
// #access-token=<token> (a fragment never reaches a server or its logs).
const TOKEN = 'notifications.token';
// The channels this tab reads, and per identity the position it resumes from after a drop or a reload: what one user
// has seen says nothing about what another (or nobody) was sent.
const CHANNELS = 'notifications.channels';
const POSITION = 'notifications.position';
let client = null;

const handedOver = new URLSearchParams(location.hash.slice(1)).get('access-token');
if (handedOver) {
    sessionStorage.setItem(TOKEN, handedOver);
    history.replaceState(null, '', location.pathname + location.search);
}

/** The token's claims, read for display and its expiry only: the server verifies it. */
function claims(jwt = sessionStorage.getItem(TOKEN)) {
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

/**
 * The library asks before every connect. A token that expired is renewed where the dev sign-in exists (dev and test
 * builds, the same user and groups); elsewhere it is dropped, and the tab goes on anonymous until signed in again.
 */
async function getToken() {
    const jwt = sessionStorage.getItem(TOKEN);
    const { exp, sub, groups } = claims(jwt);
    if (!jwt || (exp && exp * 1000 > Date.now() + 1000)) {
        return jwt;
    }
    if (signIn && sub) {
        try {
            sessionStorage.setItem(TOKEN, await devToken(sub, (groups || []).join(',')));
            return sessionStorage.getItem(TOKEN);
        } catch (e) {
            // fall through: anonymous
        }
    }
    sessionStorage.removeItem(TOKEN);
    feedback.textContent = 'Your sign-in expired; sign in again.';
    showIdentity();
    start();
    return null;
}

async function devToken(user, groups) {
    const query = new URLSearchParams({ user });
    if (groups) {
        query.set('groups', groups);
    }
    const response = await fetch('/dev/token?' + query);
    if (!response.ok) {
        throw new Error('Could not sign in (' + response.status + ')');
    }
    return (await response.json()).token;
}

function storedChannels() {
    try {
        return JSON.parse(sessionStorage.getItem(CHANNELS)) || [];
    } catch (e) {
        return [];
    }
}

/** The channels the client reads now, stored for the next reload and listed with a button to leave each. */
function showChannels(names) {
    sessionStorage.setItem(CHANNELS, JSON.stringify(names));
    channelList.replaceChildren(...names.map((name) => {
        const item = document.createElement('li');
        item.dataset.channel = name;
        item.append(name);
        const leave = document.createElement('button');
        leave.type = 'button';
        leave.textContent = '\u00d7';
        leave.title = 'Leave ' + name;
        leave.addEventListener('click', () => {
            showChannels(storedChannels().filter((other) => other !== name));
            client.unsubscribe(name).catch((e) => { feedback.textContent = e.message; });
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
}

function showState(name, detail) {
    state.textContent = name;
    state.className = 'state ' + name;
    state.dataset.transport = detail.transport || '';
}

function onControl(frame) {
    if (frame.type === 'subscribed' && !storedChannels().includes(frame.channel)) {
        showChannels(storedChannels().concat([frame.channel]));
    } else if (frame.type === 'error' && (frame.channel || frame.channels)) {
        // A refusal at connect lists every channel refused for its reason in 'channels'.
        const gone = frame.channels || [frame.channel];
        showChannels(storedChannels().filter((name) => !gone.includes(name)));
        feedback.textContent = frame.detail;
    } else if (frame.type === 'error' || frame.type === 'history-gap') {
        feedback.textContent = frame.detail;
    } else if (frame.type === 'inbox') {
        // The signed-in user's stored notifications changed (or this connection just opened): inbox.js shows them.
        window.dispatchEvent(new CustomEvent('notifications:inbox', { detail: frame }));
    }
}

/** A client for who this tab is now; the one before is closed first: nothing it still receives counts. */
function start() {
    client?.close();
    const user = currentUser();
    client = connect({
        getToken,
        apiKey,
        transport,
        channels: storedChannels().slice(0, MAX_CHANNELS),
        storage: sessionStorage,
        storageKey: user ? POSITION + '.' + user : POSITION,
        onNotification: show,
        onControl,
        onStatus: showState,
    });
    showIdentity();
    // For inbox.js: who this tab is now, and the client to call the inbox with.
    window.notificationIdentity = { user, client };
    window.dispatchEvent(new CustomEvent('notifications:identity', { detail: window.notificationIdentity }));
}

/**
 * The server lets only http(s) URLs and paths on this site through; the page checks again, as the browser will read
 * it, so that no other link (javascript:, data:, //other-host) is ever put in an href.
 */
export function safeLink(link) {
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

function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
}

function show(notification) {
    const item = document.createElement('li');
    item.className = notification.level || 'info';
    item.dataset.id = notification.id;
    if (notification.user && notification.user === currentUser()) {
        item.classList.add('for-you');
    }
    if (notification.user || notification.channel) {
        item.appendChild(element('span', 'target', notification.user
            ? 'for you' + (notification.channel ? ' in #' + notification.channel : '') : '#' + notification.channel));
    }
    const time = element('time', '', new Date(notification.timestamp).toLocaleTimeString());
    time.dateTime = notification.timestamp;
    item.appendChild(time);
    if (notification.title) {
        item.appendChild(element('span', 'title', notification.title));
    }
    item.appendChild(element('span', 'message', notification.message));
    const href = safeLink(notification.link);
    if (href) {
        const link = element('a', 'link', 'Open');
        link.href = href;
        link.rel = 'noopener noreferrer';
        item.appendChild(link);
    }
    list.prepend(item);
    empty.hidden = true;
    while (list.children.length > MAX_SHOWN) {
        list.lastElementChild.remove();
    }
}

form.addEventListener('submit', (event) => {
    event.preventDefault();
    const notification = { message: input.value, level: level.value };
    if (toUser.value.trim()) {
        notification.user = toUser.value.trim();
    }
    if (toChannel.value.trim()) {
        notification.channel = toChannel.value.trim();
    }
    client.publish(notification).then(() => {
        feedback.textContent = '';
        input.value = '';
    }, (e) => {
        feedback.textContent = e.message;
    });
});

joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = channelInput.value.trim();
    client.subscribe(name).then(() => {
        feedback.textContent = '';
        channelInput.value = '';
    }, (e) => {
        feedback.textContent = e.message;
    });
});

signIn?.addEventListener('submit', (event) => {
    event.preventDefault();
    devToken(document.getElementById('user').value.trim(), document.getElementById('groups').value.trim()).then((token) => {
        sessionStorage.setItem(TOKEN, token);
        feedback.textContent = '';
        start();
    }, (e) => {
        feedback.textContent = e.message;
    });
});

signOut.addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN);
    start();
});

showChannels(storedChannels());
start();
