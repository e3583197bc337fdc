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

  async function refresh() {
    try {
      const list = await call('GET', '');
      const body = $('campaigns');
      body.replaceChildren();
      for (const name of list.campaigns) {
        const s = await call('GET', '/' + name);
        const tr = document.createElement('tr');
        const a = s.agreement;
        const stats = s.task === 'rating'
          ? 'exact ' + fmt(a.exact) + ', adjacent ' + fmt(a.adjacent) + ', α ' + fmt(a.alpha)
          : 'agreement ' + fmt(a.exact) + ', intransitive triples ' + a.intransitive;
        tr.innerHTML = '<th scope="row"></th><td></td><td></td>';
        tr.children[0].textContent = s.title + ' (' + s.task + ', ' + s.images + ' images)';
        tr.children[1].textContent = a.answers + ' answers by ' + a.raters + ' raters; ' + stats;
        for (const f of ['csv', 'jsonl']) {
          const b = document.createElement('button');
          b.type = 'button';
          b.textContent = 'Export ' + f.toUpperCase();
          b.setAttribute('aria-label', 'Export ' + s.name + ' as ' + f.toUpperCase());
          b.addEventListener('click', () => exportAs(s.name, f));
          tr.children[2].append(b, ' ');
        }
        const fit = document.createElement('button');
        fit.type = 'button';
        fit.textContent = 'Fit head';
        fit.setAttribute('aria-label', 'Fit a head on ' + s.name);
        fit.addEventListener('click', () => fitHead(s.name));
        tr.children[2].append(fit);
        if (s.task === 'rating') {
          const tune = document.createElement('button');
          tune.type = 'button';
          tune.textContent = 'Tune labels';
          tune.setAttribute('aria-label', 'Tune prompt wordings on the ratings of ' + s.name);
          tune.addEventListener('click', () => tuneLabels(s.name));
          tr.children[2].append(' ', tune);
        }
        body.append(tr);
      }
      say(list.campaigns.length + ' campaign(s)');
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
      const links = $('links');
      links.replaceChildren();
      for (const r of c.raters) {
        const li = document.createElement('li');
        const a = document.createElement('a');
        a.href = r.url;
        a.textContent = 'Rater ' + r.rater + ': ' + r.url;
        li.append(a);
        links.append(li);
      }
      say('Created ' + c.name + ' with ' + c.images + ' images. Give each rater their link; it is shown only now.');
      refresh();
    } catch (err) {
      say(err.message, true);
    }
  });
  $('refresh').addEventListener('click', refresh);
})();
