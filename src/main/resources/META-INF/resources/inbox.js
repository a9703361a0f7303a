// The signed-in user's inbox (docs/inbox.md): the bell with the unread count, the stored list newest first with
// "Load more", opening an item marks it read and follows its link, "Mark all read". Kept current by the socket's
// {"type":"inbox"} frames (notifications.js passes them on as 'notifications:inbox' events), so every tab of the
// user shows the same; read again from /api/inbox on every page load, so nothing that arrived meanwhile is missed.
(function () {
    'use strict';

    const PAGE = 20;
    const bell = document.getElementById('bell');
    const unread = document.getElementById('unread');
    const section = document.getElementById('inbox');
    const list = document.getElementById('inbox-items');
    const empty = document.getElementById('inbox-empty');
    const more = document.getElementById('inbox-more');
    const readAll = document.getElementById('read-all');
    const feedback = document.getElementById('inbox-feedback');
    let token = null;
    let next = null;
    let loading = null; // the newest first-page load: an older one that answers late is dropped

    function call(path, body) {
        const options = { headers: { Authorization: 'Bearer ' + token } };
        if (body) {
            options.method = 'POST';
            options.headers['Content-Type'] = 'application/json';
            options.body = JSON.stringify(body);
        }
        return fetch(path, options).then(function (response) {
            return response.json().then(function (answer) {
                if (!response.ok) {
                    throw new Error(answer.detail || 'HTTP ' + response.status);
                }
                return answer;
            });
        });
    }

    function showCounts(counts) {
        unread.textContent = String(counts.unread);
        bell.classList.toggle('has-unread', counts.unread > 0);
        bell.setAttribute('aria-label', 'Inbox: ' + counts.unread + ' unread');
    }

    /** The first page again (after a change from any tab), or the page after the last one shown. */
    function load(first) {
        if (!token) {
            return;
        }
        const path = '/api/inbox?limit=' + PAGE + (first || !next ? '' : '&before=' + encodeURIComponent(next));
        const thisLoad = call(path);
        if (first) {
            loading = thisLoad;
        }
        thisLoad.then(function (page) {
            if (first && loading !== thisLoad) {
                return;
            }
            if (first) {
                list.replaceChildren();
            }
            page.items.forEach(function (item) { list.appendChild(render(item)); });
            next = page.next;
            more.hidden = next === null;
            empty.hidden = list.children.length > 0;
            showCounts(page);
            feedback.textContent = '';
        }).catch(function (e) {
            feedback.textContent = 'The inbox could not be read: ' + e.message;
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

    /** Marks it read, then follows its link (only ever a safe one) in this tab. */
    function open(item, entry) {
        const href = window.notificationLinks.safeLink(item.link);
        call('/api/inbox/read', { ids: [item.id] }).then(function (counts) {
            entry.classList.replace('unread', 'read');
            showCounts(counts);
            if (href) {
                window.location.assign(href);
            }
        }).catch(function (e) {
            feedback.textContent = 'Could not mark it read: ' + e.message;
        });
    }

    readAll.addEventListener('click', function () {
        call('/api/inbox/read', { all: true }).then(function (counts) {
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
        token = identity && identity.user ? identity.token : null;
        bell.hidden = section.hidden = !token;
        list.replaceChildren();
        next = null;
        load(true);
    }

    window.addEventListener('notifications:identity', function (event) { identify(event.detail); });
    identify(window.notificationIdentity);
})();
