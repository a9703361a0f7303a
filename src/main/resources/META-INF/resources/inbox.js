// The signed-in user's inbox (docs/inbox.md): the bell with the unread count, the stored list newest first with
// "Load more", opening an item marks it read and follows its link, "Mark all read". Kept current by the connection's
// {"type":"inbox"} frames (notifications.js passes them on as 'notifications:inbox' events), so every tab of the
// user shows the same; read again from /api/inbox on every page load, so nothing that arrived meanwhile is missed.
// The API is called through the client library, with the token the page gives it.
import { safeLink } from '/notifications.js';

const PAGE = 20;
const MAX_PAGE = 100; // the API's largest page
const bell = document.getElementById('bell');
const unread = document.getElementById('unread');
const section = document.getElementById('inbox');
const list = document.getElementById('inbox-items');
const empty = document.getElementById('inbox-empty');
const more = document.getElementById('inbox-more');
const readAll = document.getElementById('read-all');
const feedback = document.getElementById('inbox-feedback');
let client = null; // the signed-in user's; null while anonymous
let next = null;
let generation = 0; // each reload of the list (and each change of user) starts one: older answers are dropped

function showCounts(counts) {
    unread.textContent = String(counts.unread);
    bell.classList.toggle('has-unread', counts.unread > 0);
    bell.setAttribute('aria-label', 'Inbox: ' + counts.unread + ' unread');
}

/**
 * The list again from the top, after a change from any tab: as many as are shown (at least a page), and more when
 * new ones arrived at the top, so that what "Load more" brought stays. Or, not from the top, the page after the last
 * one shown.
 */
function load(fromTheTop) {
    if (!client) {
        return;
    }
    const mine = fromTheTop ? ++generation : generation;
    if (!fromTheTop) {
        read(PAGE, next, mine, null);
        return;
    }
    const shown = Array.from(list.children, function (entry) { return entry.dataset.id; });
    read(Math.min(MAX_PAGE, Math.max(PAGE, shown.length)), null, mine, shown);
}

/** One page of limit (after before); shown: the ids shown before a reload from the top (null: a page added below). */
function read(limit, before, mine, shown) {
    client.inbox.list({ limit, before }).then(function (page) {
        if (mine !== generation) {
            return; // a newer reload, or another user, since
        }
        if (shown && shown.length > 0) {
            const top = page.items.findIndex(function (item) { return item.id === shown[0]; });
            const wanted = Math.min(MAX_PAGE, shown.length + (top === -1 ? page.items.length : top));
            if (wanted > limit) {
                read(wanted, null, mine, []); // new ones pushed some of those shown off this page
                return;
            }
        }
        if (shown) {
            list.replaceChildren();
        }
        page.items.forEach(function (item) { list.appendChild(render(item)); });
        next = page.next;
        more.hidden = next === null;
        empty.hidden = list.children.length > 0;
        showCounts(page);
        feedback.textContent = '';
    }).catch(function (e) {
        if (mine === generation) {
            feedback.textContent = 'The inbox could not be read: ' + e.message;
        }
    });
}

function render(item) {
    const entry = document.createElement('li');
    entry.className = (item.level || 'info') + (item.readAt ? ' read' : ' unread');
    entry.dataset.id = item.id;
    const time = document.createElement('time');
    time.dateTime = item.timestamp;
    time.textContent = new Date(item.timestamp).toLocaleString();
    entry.appendChild(time);
    if (item.title) {
        const title = document.createElement('span');
        title.className = 'title';
        title.textContent = item.title;
        entry.appendChild(title);
    }
    const message = document.createElement('button');
    message.type = 'button';
    message.className = 'message';
    message.textContent = item.message;
    message.addEventListener('click', function () { open(item, entry); });
    entry.appendChild(message);
    return entry;
}

/** Marks it read, then follows its link (only ever a safe one) in this tab: followed even if marking failed. */
function open(item, entry) {
    const href = safeLink(item.link);
    client.inbox.mark('read', [item.id]).then(function (counts) {
        entry.classList.replace('unread', 'read');
        showCounts(counts);
    }).catch(function (e) {
        feedback.textContent = 'Could not mark it read: ' + e.message;
    }).finally(function () {
        if (href) {
            window.location.assign(href);
        }
    });
}

readAll.addEventListener('click', function () {
    client.inbox.mark('read', 'all').then(function (counts) {
        showCounts(counts);
        load(true);
    }).catch(function (e) {
        feedback.textContent = 'Could not mark all read: ' + e.message;
    });
});
more.addEventListener('click', function () { load(false); });
bell.addEventListener('click', function () { section.scrollIntoView(); });

window.addEventListener('notifications:inbox', function (event) {
    showCounts(event.detail);
    load(true);
});
function identify(identity) {
    client = identity && identity.user ? identity.client : null;
    bell.hidden = section.hidden = !client;
    generation++;
    list.replaceChildren();
    next = null;
    load(true);
}

window.addEventListener('notifications:identity', function (event) { identify(event.detail); });
identify(window.notificationIdentity);
