// The campaign owner's page: everything goes through the JSON API with the API key as a Bearer token (kept in this
// tab's sessionStorage only).
(function () {
  'use strict';
  const $ = id => document.getElementById(id);
  const status = $('status');
  $('key').value = sessionStorage.getItem('imagescore-key') || '';
  $('tenant').value = sessionStorage.getItem('imagescore-tenant') || $('tenant').value;
  const base = () => '/rating/api/' + encodeURIComponent($('tenant').value) + '/campaigns';

  async function call(method, path, body, raw) {
    sessionStorage.setItem('imagescore-key', $('key').value);
    sessionStorage.setItem('imagescore-tenant', $('tenant').value);
    const headers = {};
    if ($('key').value) headers['Authorization'] = 'Bearer ' + $('key').value;
    if (body) headers['Content-Type'] = 'application/json';
    const r = await fetch(base() + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    if (!r.ok) {
      const j = await r.json().catch(() => null);
      throw new Error(j && j.error ? j.error.reason + ': ' + j.error.message : 'HTTP ' + r.status);
    }
    return raw ? r : r.json();
  }

  function say(text, error) {
    status.textContent = text;
    status.className = error ? 'error' : '';
  }

  const fmt = v => (typeof v === 'number' ? v.toFixed(3) : '–');

  async function refresh(quiet) {
    try {
      // the list comes in pages: follow next_page_token to the last one
      const names = [];
      let token = '';
      do {
        const page = await call('GET', token ? '?page_token=' + encodeURIComponent(token) : '');
        names.push(...page.campaigns);
        token = page.next_page_token;
      } while (token);
      const body = $('campaigns');
      body.replaceChildren();
      for (const name of names) {
        const s = await call('GET', '/' + name);
        const tr = document.createElement('tr');
        const a = s.agreement;
        const stats = s.task === 'rating'
          ? 'exact ' + fmt(a.exact) + ', adjacent ' + fmt(a.adjacent) + ', α ' + fmt(a.alpha)
          : 'agreement ' + fmt(a.exact) + ', intransitive triples ' + a.intransitive;
        tr.innerHTML = '<th scope="row"></th><td></td><td></td>';
        tr.children[0].textContent = s.title + ' (' + s.task + ', ' + s.images + ' images)';
        tr.children[1].textContent = a.answers + ' answers by ' + a.raters + ' raters; ' + stats;
        const actions = tr.children[2];
        for (const f of ['csv', 'jsonl']) {
          actions.append(button('Export ' + f.toUpperCase(), 'Export ' + s.name + ' as ' + f.toUpperCase(), () => exportAs(s.name, f)), ' ');
        }
        actions.append(button('Fit head', 'Fit a head on ' + s.name, () => fitHead(s.name)));
        if (s.task === 'rating') {
          actions.append(' ', button('Tune labels', 'Tune prompt wordings on the ratings of ' + s.name, () => tuneLabels(s.name)));
        }
        actions.append(' ', button('Add rater', 'Add a rater to ' + s.name, () => addRater(s.name)));
        const active = Object.keys(s.progress).filter(r => !s.revoked.includes(r));
        if (active.length) {
          const pick = document.createElement('select');
          pick.id = 'revoke-' + s.name;
          pick.setAttribute('aria-label', 'Rater of ' + s.name + ' to revoke');
          for (const r of active) pick.append(new Option(r, r));
          actions.append(' ', pick, ' ', button('Revoke', 'Revoke the chosen rater of ' + s.name, () => revoke(s.name, pick.value)));
        }
        actions.append(' ', button('Delete', 'Delete campaign ' + s.name, () => remove(s.name)));
        body.append(tr);
      }
      if (quiet !== true) say(names.length + ' campaign(s)');
    } catch (e) {
      say(e.message, true);
    }
  }

  async function exportAs(name, format) {
    try {
      const r = await call('GET', '/' + name + '/export?format=' + format, null, true);
      const url = URL.createObjectURL(await r.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name + '.' + format;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      say(e.message, true);
    }
  }

  async function fitHead(name) {
    say('Fitting…');
    try {
      const f = await call('POST', '/' + name + '/fit');
      say('Fitted head ' + f.head + ' version ' + f.version + ' (' + f.kind + ', ' + f.examples + ' examples; ' + f.metrics + ')');
    } catch (e) {
      say(e.message, true);
    }
  }

  function button(text, label, action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', label);
    b.addEventListener('click', action);
    return b;
  }

  function showLinks(raters) {
    const links = $('links');
    links.replaceChildren();
    for (const r of raters) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = r.url;
      a.textContent = 'Rater ' + r.rater + ': ' + r.url;
      li.append(a);
      links.append(li);
    }
  }

  async function addRater(name) {
    try {
      const r = await call('POST', '/' + name + '/raters?count=1');
      showLinks(r.raters);
      say('Added rater ' + r.raters[0].rater + ' to ' + name + '. Give them the link; it is shown only now.');
      refresh(true);
    } catch (e) {
      say(e.message, true);
    }
  }

  async function revoke(name, rater) {
    try {
      await call('POST', '/' + name + '/raters/' + encodeURIComponent(rater) + '/revoke');
      say('Revoked rater ' + rater + ' of ' + name + '; their answers stay.');
      refresh(true);
    } catch (e) {
      say(e.message, true);
    }
  }

  async function remove(name) {
    if (!confirm('Delete campaign ' + name + ' with all its answers and images?')) return;
    try {
      const d = await call('DELETE', '/' + name);
      say('Deleted ' + name + ': ' + d.judgements + ' log entries, ' + d.images + ' images (' + d.image_bytes + ' bytes).');
      refresh(true);
    } catch (e) {
      say(e.message, true);
    }
  }

  async function tuneLabels(name) {
    say('Tuning labels…');
    try {
      const candidates = $('tune-candidates').value.split('\n').map(l => l.split(' / '))
        .filter(p => p.length === 2 && p[0].trim() && p[1].trim())
        .map(p => ({ positive: p[0].trim(), negative: p[1].trim() }));
      const t = await call('POST', '/' + name + '/tune', {
        pack: $('tune-pack').value, prompt_set: $('tune-set').value, candidates, activate: true
      });
      say(t.version
        ? 'Tuned prompt set ' + t.prompt_set + ' version ' + t.version + ' (' + t.verdict + ')'
        : 'No new version of prompt set ' + t.prompt_set + ': ' + t.verdict);
    } catch (e) {
      say(e.message, true);
    }
  }

  const base64 = file => new Promise((ok, fail) => {
    const r = new FileReader();
    r.onload = () => ok(String(r.result).split(',')[1]);
    r.onerror = () => fail(r.error);
    r.readAsDataURL(file);
  });

  $('create').addEventListener('submit', async e => {
    e.preventDefault();
    say('Uploading…');
    try {
      const images = [];
      for (const f of $('files').files) images.push({ name: f.name, data: await base64(f) });
      const c = await call('POST', '', {
        name: $('name').value, title: $('title').value, task: $('task').value, head: $('head').value,
        raters: +$('raters').value, images
      });
      showLinks(c.raters);
      say('Created ' + c.name + ' with ' + c.images + ' images. Give each rater their link; it is shown only now.');
      refresh(true);
    } catch (err) {
      say(err.message, true);
    }
  });
  $('refresh').addEventListener('click', () => refresh());
})();
