// mplm-lab-web: the page. Plain JavaScript, no library. The server does
// every computation (/api/run returns the recorded run); this file only
// draws it and steps through it.
'use strict';

const COLORS = ['#BBBBBB', '#56B4E9', '#F0E442', '#D55E00', '#009E73'];
const MAP_COLS = 64;
const FRAME_MS = 900; // per sync when playing

const form = document.getElementById('config');
const errorBox = document.getElementById('error');
const player = document.getElementById('player');
const slider = document.getElementById('step');
let runs = [];    // { data, el } per shown run
let playing = null;

// ------------------------------------------------------------------
// The configuration: form <-> query string.

function formParams() {
  const p = new URLSearchParams();
  for (const el of form.elements) {
    if (!el.name || el.value.trim() === '') continue;
    if (!isRelevant(el)) continue;
    p.set(el.name, el.value.trim());
  }
  return p;
}

// Fields of the other algorithm or pattern are left out of the query.
function isRelevant(el) {
  const label = el.closest('label');
  return !label || !label.hidden;
}

function showRelevant() {
  const alg = form.elements.algorithm.value;
  const pattern = form.elements.pattern.value;
  for (const l of form.querySelectorAll('label.precopy')) l.hidden = alg !== 'precopy';
  for (const l of form.querySelectorAll('label.mplm')) l.hidden = alg !== 'mplm';
  for (const l of form.querySelectorAll('label.hotspot')) l.hidden = pattern !== 'hotspot';
}

function loadFromURL() {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of q) {
    const el = form.elements[k];
    if (el && el.name) el.value = v;
  }
  showRelevant();
  return { run: q.get('run') === '1', compare: q.get('compare') === '1' };
}

function setPermalink(mode) {
  const p = formParams();
  if (mode === 'compare') {
    // Both algorithms' parameters belong to a comparison.
    for (const name of ['downtime-limit', 'max-iterations', 'threshold-bandwidth', 'intervaltime',
                        'dirtypercents', 'firstnondirty', 'relaxlivemig', 'mplm-variant']) {
      const el = form.elements[name];
      if (el.value.trim() !== '') p.set(name, el.value.trim());
    }
  }
  if (mode) p.set(mode, '1');
  const link = document.getElementById('permalink');
  link.href = '?' + p.toString();
  if (mode) history.replaceState(null, '', link.href);
}

// ------------------------------------------------------------------
// Runs.

async function fetchRun(params) {
  const res = await fetch('/api/run?' + params.toString());
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || ('HTTP ' + res.status));
  return body;
}

function showError(msg) {
  errorBox.textContent = msg;
  errorBox.hidden = !msg;
  if (msg) document.body.dataset.state = 'error';
}

async function start(mode) {
  stop();
  showError('');
  setPermalink(mode);
  document.body.dataset.state = 'running';
  const base = formParams();
  const jobs = [];
  if (mode === 'compare') {
    for (const alg of ['precopy', 'mplm']) {
      const p = new URLSearchParams(base);
      p.set('algorithm', alg);
      for (const name of ['downtime-limit', 'max-iterations', 'threshold-bandwidth',
                          'intervaltime', 'dirtypercents', 'firstnondirty', 'relaxlivemig',
                          'mplm-variant']) {
        const v = form.elements[name].value.trim();
        if (v !== '') p.set(name, v);
      }
      jobs.push(fetchRun(p));
    }
  } else {
    jobs.push(fetchRun(base));
  }
  try {
    const results = await Promise.all(jobs);
    showRuns(results);
    play();
  } catch (e) {
    player.hidden = true;
    showError(e.message);
  }
}

function showRuns(results) {
  const box = document.getElementById('runs');
  box.textContent = '';
  box.className = results.length === 1 ? 'single' : 'compare';
  runs = results.map((data, k) => {
    const el = document.getElementById('run-template').content.firstElementChild.cloneNode(true);
    el.id = 'run-' + k;
    const s = data.summary;
    el.querySelector('.title').textContent = algName(s.algorithm) + ': ' + s.workload;
    el.querySelector('.status').textContent =
      data.pages + ' pages of ' + data.page_size + ' bytes' +
      (data.pages_per_cell > 1 ? ' (a cell is ' + data.pages_per_cell + ' pages)' : '') +
      '; the link carries ' + s.link_pages_per_s.toFixed(1) + ' pages/s';
    box.appendChild(el);
    drawTimeline(el.querySelector('.timeline'), data);
    return { data, el };
  });
  const longest = Math.max(...runs.map(r => r.data.frames.length));
  slider.max = longest - 1;
  slider.value = 0;
  player.hidden = false;
  document.querySelector('footer .cli').textContent = cliLine(runs[0].data);
  show(0);
}

function algName(a) {
  return { mplm: 'MPLM', precopy: 'pre-copy', stopcopy: 'stop-and-copy' }[a] || a;
}

// The mplm-sim command that makes the first run (for a terminal).
function cliLine(data) {
  const p = formParams();
  let cmd = 'mplm-sim --explain';
  for (const [k, v] of p) {
    if (['pattern', 'memory', 'wss', 'rate', 'duration', 'seed', 'hot', 'skew'].includes(k)) continue;
    if (k === 'simple') { if (v === 'on') cmd += ' --simple'; continue; }
    cmd += ' --' + k + ' ' + v;
  }
  if (!p.has('simple')) cmd += ' --simple';
  return cmd + ' --workload ' + data.summary.workload;
}

// ------------------------------------------------------------------
// One step: every run shows its sync min(i, last).

function show(i) {
  slider.value = i;
  let allDone = true;
  for (const r of runs) {
    const frames = r.data.frames;
    const k = Math.min(i, frames.length - 1);
    const last = k === frames.length - 1;
    drawMap(r.el.querySelector('.map'), r.data, frames[k]);
    drawLegend(r.el.querySelector('.legend'), r.data, frames[k]);
    drawNarration(r.el.querySelector('.narration'), frames[k], last ? r.data.reports.outcome : null);
    markTimeline(r.el.querySelector('.timeline'), r.data, frames[k]);
    if (last) r.el.querySelector('.info').textContent = r.data.reports.info_migrate;
    else allDone = false;
  }
  document.getElementById('step-label').textContent =
    'sync ' + i + ' of ' + (Number(slider.max)) + (allDone ? ' (end)' : '');
  if (allDone) {
    stop();
    document.body.dataset.state = 'done';
  }
}

function drawMap(canvas, data, frame) {
  const cols = Math.min(MAP_COLS, data.ncells);
  const rows = Math.ceil(data.ncells / cols);
  const size = Math.floor(640 / cols);
  canvas.width = cols * size;
  canvas.height = rows * size;
  const ctx = canvas.getContext('2d');
  const states = data.states.map(s => s.char);
  for (let c = 0; c < data.ncells; c++) {
    ctx.fillStyle = COLORS[states.indexOf(frame.cells[c])];
    ctx.fillRect((c % cols) * size, Math.floor(c / cols) * size, size - 1, size - 1);
  }
}

function drawLegend(ul, data, frame) {
  ul.textContent = '';
  data.states.forEach((s, k) => {
    if (s.char === 'n' && data.summary.algorithm !== 'mplm') return;
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch s' + k;
    li.append(sw, s.label + ': ' + frame.counts[k]);
    ul.appendChild(li);
  });
}

function drawNarration(div, frame, outcome) {
  div.textContent = '';
  const add = (text) => {
    const nl = text.indexOf('\n');
    const h = document.createElement('h4');
    h.textContent = nl < 0 ? text : text.slice(0, nl);
    div.appendChild(h);
    if (nl >= 0) {
      const p = document.createElement('p');
      p.textContent = text.slice(nl + 1);
      div.appendChild(p);
    }
  };
  add(frame.narration);
  if (outcome) add(outcome);
}

// ------------------------------------------------------------------
// The timeline: D, ND, sent and dirtied against time, one point per sync.

const SVG = 'http://www.w3.org/2000/svg';
const PLOT = { x: 50, y: 10, w: 570, h: 180 };

function svgEl(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawTimeline(svg, data) {
  svg.textContent = '';
  const f = data.frames;
  const tmax = Math.max(f[f.length - 1].time, 1e-9);
  const series = [
    ['d', '#D55E00', fr => fr.d],
    ['nd', '#56B4E9', fr => fr.nd],
    ['sent', '#0072B2', fr => fr.sent_d + fr.sent_nd],
    ['dirtied', '#CC79A7', fr => fr.dirtied],
  ];
  const ymax = Math.max(1, ...f.flatMap(fr => series.map(s => s[2](fr))));
  const X = t => PLOT.x + PLOT.w * t / tmax;
  const Y = v => PLOT.y + PLOT.h * (1 - v / ymax);
  svg.appendChild(svgEl('rect', { x: PLOT.x, y: PLOT.y, width: PLOT.w, height: PLOT.h,
                                  fill: 'none', stroke: '#bbb' }));
  svg.appendChild(svgEl('text', { x: PLOT.x - 4, y: PLOT.y + 10, 'text-anchor': 'end' }, String(ymax)));
  svg.appendChild(svgEl('text', { x: PLOT.x - 4, y: PLOT.y + PLOT.h, 'text-anchor': 'end' }, '0'));
  svg.appendChild(svgEl('text', { x: PLOT.x, y: PLOT.y + PLOT.h + 16 }, '0 s'));
  svg.appendChild(svgEl('text', { x: PLOT.x + PLOT.w, y: PLOT.y + PLOT.h + 16, 'text-anchor': 'end' },
                        tmax.toFixed(3) + ' s'));
  svg.appendChild(svgEl('text', { x: PLOT.x + PLOT.w / 2, y: PLOT.y + PLOT.h + 28, 'text-anchor': 'middle' },
                        'time since the migration started; pages on the vertical axis'));
  for (const [name, color, val] of series) {
    if (name === 'nd' && data.summary.algorithm !== 'mplm') continue;
    const pts = f.map(fr => X(fr.time).toFixed(1) + ',' + Y(val(fr)).toFixed(1)).join(' ');
    svg.appendChild(svgEl('polyline', { points: pts, fill: 'none', stroke: color, 'stroke-width': 2,
                                        class: 'series-' + name }));
  }
  svg.appendChild(svgEl('line', { class: 'now', y1: PLOT.y, y2: PLOT.y + PLOT.h, stroke: '#000',
                                  'stroke-dasharray': '3,3' }));
}

function markTimeline(svg, data, frame) {
  const f = data.frames;
  const tmax = Math.max(f[f.length - 1].time, 1e-9);
  const x = PLOT.x + PLOT.w * frame.time / tmax;
  const line = svg.querySelector('line.now');
  line.setAttribute('x1', x);
  line.setAttribute('x2', x);
}

// ------------------------------------------------------------------
// Playing.

function play() {
  stop();
  if (Number(slider.value) >= Number(slider.max)) slider.value = 0;
  document.getElementById('play').textContent = 'pause';
  show(Number(slider.value));
  if (document.body.dataset.state === 'done') return;
  playing = setInterval(() => {
    const i = Number(slider.value) + 1;
    if (i > Number(slider.max)) stop();
    else show(i);
  }, FRAME_MS);
}

function stop() {
  if (playing) clearInterval(playing);
  playing = null;
  document.getElementById('play').textContent = 'play';
}

function go(i) {
  stop();
  show(Math.max(0, Math.min(Number(slider.max), i)));
}

form.addEventListener('submit', e => { e.preventDefault(); start('run'); });
form.addEventListener('change', () => { showRelevant(); setPermalink(null); });
document.getElementById('compare').addEventListener('click', () => start('compare'));
document.getElementById('play').addEventListener('click', () => (playing ? stop() : play()));
document.getElementById('first').addEventListener('click', () => go(0));
document.getElementById('prev').addEventListener('click', () => go(Number(slider.value) - 1));
document.getElementById('next').addEventListener('click', () => go(Number(slider.value) + 1));
document.getElementById('last').addEventListener('click', () => go(Number(slider.max)));
slider.addEventListener('input', () => go(Number(slider.value)));

const wanted = loadFromURL();
setPermalink(null);
if (wanted.compare) start('compare');
else if (wanted.run) start('run');
