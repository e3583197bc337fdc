// The rater's page: every answer is POSTed when made and the page is redrawn from the server's reply, so a reload
// (or another device) continues exactly where the rater stopped. Keyboard: 1–4 (ratings); ←/→ or A/B, C or Space
// (pairs); S skip; U or Backspace undo.
(function () {
  'use strict';
  const root = document.getElementById('rater');
  const api = root.dataset.api;
  const pairwise = root.dataset.task === 'pairwise';
  const token = new URLSearchParams(location.search).get('token');
  const query = token ? '?token=' + encodeURIComponent(token) : '';
  const status = document.getElementById('status');
  let state = null;
  let busy = false;

  async function call(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    const r = await fetch(api + path + query, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const json = await r.json().catch(() => null);
    if (!r.ok) throw new Error(json && json.error ? json.error.message : 'HTTP ' + r.status);
    return json;
  }

  function show(id, shown) {
    const img = document.getElementById('img-' + id);
    const cap = document.getElementById('cap-' + id);
    img.src = api + '/images/' + shown.index + query;
    img.alt = (pairwise ? (id === 'first' ? 'Left photo: ' : 'Right photo: ') : 'Photo: ') + shown.name;
    cap.textContent = shown.name;
  }

  function render(s) {
    state = s;
    const p = document.getElementById('progress');
    p.max = s.total;
    p.value = s.done;
    document.getElementById('progress-text').textContent = s.done + ' of ' + s.total;
    document.getElementById('undo').disabled = !s.can_undo;
    document.getElementById('finished').hidden = !s.finished;
    document.querySelectorAll('.controls button:not(#undo)').forEach(b => { b.disabled = s.finished; });
    document.querySelectorAll('figure').forEach(f => { f.hidden = s.finished; });
    if (!s.finished) {
      show('first', s.item);
      if (pairwise) show('second', s.second);
    }
    root.dataset.done = String(s.done);
  }

  async function act(fn, what) {
    if (busy) return;
    busy = true;
    try {
      render(await fn());
      status.textContent = what;
      status.className = '';
    } catch (e) {
      status.textContent = e.message;
      status.className = 'error';
    } finally {
      busy = false;
    }
  }

  function answer(extra, what) {
    if (!state || state.finished) return;
    const body = Object.assign({ item: state.item.index }, pairwise ? { second: state.second.index } : {}, extra);
    act(() => call('POST', '/answers', body), what);
  }

  const rate = r => answer({ rating: r }, 'Saved: ' + r);
  const choose = o => answer({ outcome: o }, 'Saved: ' + ({ first: 'left', second: 'right', tie: "can't tell" })[o]);
  const skip = () => answer({ skip: true }, 'Skipped');
  const undo = () => { if (state && state.can_undo) act(() => call('POST', '/undo'), 'Undone'); };

  document.querySelectorAll('button[data-rating]').forEach(b => b.addEventListener('click', () => rate(+b.dataset.rating)));
  document.querySelectorAll('button[data-outcome]').forEach(b => b.addEventListener('click', () => choose(b.dataset.outcome)));
  document.getElementById('skip').addEventListener('click', skip);
  document.getElementById('undo').addEventListener('click', undo);

  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    let handled = true;
    if (!pairwise && k >= '1' && k <= '4') rate(+k);
    else if (pairwise && (k === 'arrowleft' || k === 'a')) choose('first');
    else if (pairwise && (k === 'arrowright' || k === 'b')) choose('second');
    else if (pairwise && (k === 'c' || k === ' ')) choose('tie');
    else if (k === 's') skip();
    else if (k === 'u' || k === 'backspace') undo();
    else handled = false;
    if (handled) e.preventDefault(); // Space would also press the focused button: one answer per key
  });

  act(() => call('GET', '/state'), '');
})();
