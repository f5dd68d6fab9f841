// Checks one natsim report.html in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser download).
//
//   node check-report.mjs REPORT.html SCREENSHOT.png [--expect-candidates a,b,c]
//                         [--expect-candidates-from FILE.csv]
//                         [--expect-calibration-from FILE.csv] [--expect-workloads-from FILE.csv]
//                         [--expect-breaks-from FILE.csv] [--kind run|sweep|batch]
//                         [--expect-replications N] [--chromium PATH]
//
// Without --expect-candidates*, the candidate names are read from the `candidate` column of the
// report's sibling summary.csv (a run) or sweep.csv (a sweep), or the `scenario` column of a
// batch's batch.csv, when one exists. Without --kind, that sibling also says which page it is;
// without --expect-replications, its `replications` column says how many runs each figure is
// the mean of. Without --expect-calibration-from, a sibling calibration.csv (a run with
// --cloudwatch) says that the page must have a calibration section.
//
// Fails (exit 1, one "FAIL <kind>: ..." line per problem) on: a console error or warning, an
// uncaught page error, any request whose URL is not file:/data:/about: (the report must fetch
// nothing; such requests are aborted before they leave the browser), a failed request, no
// visible <table> with a data row, no visible plot (inline <svg> of at least 200x100 CSS px, or
// a loaded <img>), a plot inside a <figure> that is not shown at that size, an expected
// candidate missing from the first table, and a full-page screenshot in which the table's or
// the first plot's region is blank or lies outside the image. With a calibration expected:
// no visible <section id="calibration">, a compared (candidate, metric) of calibration.csv
// without its row in the section's table, a metric read but not simulated that the section does
// not name, a metric not zero throughout with no calibration plot (figure #calibration-plot,
// shown at a usable size, with a caption), or a blank calibration plot in the screenshot. With
// workloads expected (--expect-workloads-from, or a sibling summary_by_workload.csv naming more
// than one workload): no visible <section id="workloads">, or a (candidate, workload) of the CSV
// without its row in the section's table. With breaks expected (--expect-breaks-from, or a
// sibling breaks.csv with rows, a sweep): no visible <section id="breaks">, or a candidate of the
// CSV that no item of it names. On any page: a <figure> without a caption that says what it
// shows (at least 60 characters, not a bare file name). On a run's, a sweep's or a batch's
// page: no visible <section id="recommendation"> with its answer, or one that does not come
// first (above every table, figure and other heading). On a run's page: no <section id="bill">
// with the monthly bill's chart (figure#cost) and a table naming every candidate. With more
// than one replication: a row of the summary table (a run's section#summary, a sweep's
// section#points) without a "±" figure, or no line saying what ± means. Exit 2: bad usage or the browser
// could not be driven. Exit 0: one "ok ..." line.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MIN_PLOT_W = 200;
const MIN_PLOT_H = 100;
const TIMEOUT_MS = 30_000;

const MIN_CAPTION = 60;
const KINDS = ['run', 'sweep', 'batch'];

function usage(msg) {
  if (msg) console.error(`check-report: ${msg}`);
  console.error(
    'usage: node check-report.mjs REPORT.html SCREENSHOT.png [--expect-candidates a,b,c] ' +
      '[--expect-candidates-from FILE.csv] [--expect-calibration-from FILE.csv] ' +
      '[--expect-workloads-from FILE.csv] [--expect-breaks-from FILE.csv] ' +
      '[--kind run|sweep|batch] [--expect-replications N] [--chromium PATH]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    positional: [],
    candidates: null,
    candidatesFrom: null,
    calibrationFrom: null,
    kind: null,
    replications: null,
    workloadsFrom: null,
    breaksFrom: null,
    chromium: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--expect-candidates') opts.candidates = value();
    else if (a === '--expect-candidates-from') opts.candidatesFrom = value();
    else if (a === '--expect-calibration-from') opts.calibrationFrom = value();
    else if (a === '--expect-workloads-from') opts.workloadsFrom = value();
    else if (a === '--expect-breaks-from') opts.breaksFrom = value();
    else if (a === '--chromium') opts.chromium = value();
    else if (a === '--kind') {
      opts.kind = value();
      if (!KINDS.includes(opts.kind)) usage(`--kind must be one of ${KINDS.join(', ')}`);
    } else if (a === '--expect-replications') {
      opts.replications = Number(value());
      if (!Number.isInteger(opts.replications) || opts.replications < 1) usage('--expect-replications needs a whole number from 1');
    }
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else opts.positional.push(a);
  }
  if (opts.positional.length !== 2) usage('expected REPORT.html and SCREENSHOT.png');
  return opts;
}

/// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/// The distinct non-empty values of `column` in a CSV file.
function columnOfCsv(file, column) {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  if (rows.length === 0) throw new Error(`${file} is empty`);
  const col = rows[0].indexOf(column);
  if (col < 0) throw new Error(`${file} has no "${column}" column`);
  const values = [...new Set(rows.slice(1).map((r) => r[col]).filter((n) => n))];
  if (values.length === 0) throw new Error(`${file} names no ${column}`);
  return values;
}

/// The page a report is, from the CSV beside it: summary.csv (a run), sweep.csv (a sweep) or
/// batch.csv (a batch's index.html); null when there is none.
function sibling(report) {
  const dir = path.dirname(report);
  for (const [file, kind] of [['summary.csv', 'run'], ['sweep.csv', 'sweep'], ['batch.csv', 'batch']]) {
    const csv = path.join(dir, file);
    if (fs.existsSync(csv)) return { csv, kind };
  }
  return null;
}

/// Width and height from a PNG's IHDR chunk.
function pngSize(file) {
  const b = fs.readFileSync(file);
  const sig = '89504e470d0a1a0a';
  if (b.length < 24 || b.subarray(0, 8).toString('hex') !== sig) throw new Error(`${file} is not a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bytes: b };
}

/// What calibration.csv says the section must show: the compared (candidate, metric) pairs, the
/// metrics read but not simulated, and whether any compared metric is non-zero (so charted).
function calibrationFromCsv(file) {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  if (rows.length < 2) throw new Error(`${file} has no calibration rows`);
  const col = (name) => {
    const i = rows[0].indexOf(name);
    if (i < 0) throw new Error(`${file} has no "${name}" column`);
    return i;
  };
  const [cand, metric, measured, natsim] = ['candidate', 'metric', 'measured', 'natsim'].map(col);
  const compared = new Set();
  const unsimulated = new Set();
  let charted = false;
  for (const r of rows.slice(1)) {
    if (r[natsim] === '') {
      unsimulated.add(r[metric]);
      continue;
    }
    compared.add(`${r[cand]}\t${r[metric]}`);
    if (+r[measured] !== 0 || +r[natsim] !== 0) charted = true;
  }
  return { compared: [...compared].map((k) => k.split('\t')), unsimulated: [...unsimulated], charted };
}

/// The (candidate, workload) pairs summary_by_workload.csv lists, or null when it names one
/// workload (the page then has no per-workload section).
function workloadsFromCsv(file) {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  if (rows.length < 2) throw new Error(`${file} has no rows`);
  const [cand, work] = ['candidate', 'workload'].map((name) => {
    const i = rows[0].indexOf(name);
    if (i < 0) throw new Error(`${file} has no "${name}" column`);
    return i;
  });
  const pairs = rows.slice(1).filter((r) => r.length > work).map((r) => [r[cand], r[work]]);
  return new Set(pairs.map((p) => p[1])).size > 1 ? pairs : null;
}

/// The candidates breaks.csv lists, or null when it has no rows.
function breaksFromCsv(file) {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  const col = rows[0]?.indexOf('candidate') ?? -1;
  if (col < 0) throw new Error(`${file} has no "candidate" column`);
  const names = [...new Set(rows.slice(1).filter((r) => r.length > col).map((r) => r[col]))];
  return names.length ? names : null;
}

/// A sibling file of the report read by `read`, or the one an option names; null when neither.
function readExpected(option, report, sibling, read) {
  const file = option ? path.resolve(option) : path.join(path.dirname(report), sibling);
  if (!option && !fs.existsSync(file)) return null;
  try {
    return read(file);
  } catch (e) {
    usage(e.message);
  }
}

const isLocalUrl = (url) => /^(file|data|about|blob):/i.test(url);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const [reportArg, shotArg] = opts.positional;
  const report = path.resolve(reportArg);
  const shot = path.resolve(shotArg);
  if (!fs.existsSync(report)) usage(`${reportArg} does not exist`);
  const executablePath = opts.chromium || process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    usage(`no Chromium at ${executablePath} (apt-get install chromium; tests/browser/run.sh does it)`);
  }

  const beside = sibling(report);
  const kind = opts.kind ?? beside?.kind ?? null;
  let expected = [];
  let expectedFrom = 'none';
  if (opts.candidates !== null) {
    expected = opts.candidates.split(',').map((s) => s.trim()).filter(Boolean);
    expectedFrom = '--expect-candidates';
  } else {
    const csv = opts.candidatesFrom ? path.resolve(opts.candidatesFrom) : beside?.csv;
    if (csv) {
      try {
        // A batch's index lists its scenarios; a run's or a sweep's page, the candidates.
        expected = columnOfCsv(csv, path.basename(csv) === 'batch.csv' ? 'scenario' : 'candidate');
      } catch (e) {
        usage(e.message);
      }
      expectedFrom = path.basename(csv);
    }
  }
  let replications = opts.replications ?? 1;
  if (opts.replications === null && beside) {
    try {
      replications = Math.max(...columnOfCsv(beside.csv, 'replications').map(Number));
    } catch (e) {
      usage(e.message);
    }
  }

  let calibration = null;
  {
    const csv = opts.calibrationFrom
      ? path.resolve(opts.calibrationFrom)
      : [path.join(path.dirname(report), 'calibration.csv')].find((f) => fs.existsSync(f));
    if (csv) {
      try {
        calibration = calibrationFromCsv(csv);
      } catch (e) {
        usage(e.message);
      }
    }
  }

  const workloads = readExpected(opts.workloadsFrom, report, 'summary_by_workload.csv', workloadsFromCsv);
  const breaks = readExpected(opts.breaksFrom, report, 'breaks.csv', breaksFromCsv);

  const problems = [];
  const notes = [];
  const fail = (kind, msg) => problems.push(`FAIL ${kind}: ${msg}`);

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'natsim-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      offline: true,
      timeout: TIMEOUT_MS,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-default-apps',
        '--disable-extensions',
        // No name resolves: a stray request can reach no host even if interception missed it.
        '--host-resolver-rules=MAP * ~NOTFOUND',
      ],
    });
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    console.error(`check-report: could not start ${executablePath}: ${e.message}`);
    process.exit(2);
  }

  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(TIMEOUT_MS);
    const requests = [];
    page.on('console', (m) => {
      const type = m.type();
      if (type === 'error' || type === 'warning') {
        const loc = m.location();
        const where = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
        fail(`console-${type}`, `${m.text()}${where}`);
      }
    });
    page.on('pageerror', (e) => fail('page-error', e.message));
    page.on('crash', () => fail('crash', 'the page crashed'));
    page.on('request', (r) => {
      if (!isLocalUrl(r.url())) requests.push(r.url());
    });
    page.on('requestfailed', (r) => {
      if (isLocalUrl(r.url())) fail('request-failed', `${r.url()}: ${r.failure()?.errorText}`);
    });
    page.on('websocket', (ws) => requests.push(ws.url()));
    // Abort anything that would leave the machine before it is sent.
    await context.route(
      (url) => !isLocalUrl(url.href),
      (route) => route.abort('blockedbyclient'),
    );

    const response = await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
    if (response && !response.ok()) fail('load', `status ${response.status()}`);
    // Give late scripts, timers and lazy images a moment to act.
    await page.waitForTimeout(300);

    for (const url of [...new Set(requests)]) fail('network', `the report requested ${url}`);

    // Layout facts, in page coordinates (CSS px, scroll included).
    const facts = await page.evaluate(
      ({ minW, minH }) => {
        const box = (el) => {
          const r = el.getBoundingClientRect();
          return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
        };
        const shown = (el) => {
          const s = getComputedStyle(el);
          const r = el.getBoundingClientRect();
          return s.display !== 'none' && s.visibility !== 'hidden' && +s.opacity > 0 && r.width > 0 && r.height > 0;
        };
        const tables = [...document.querySelectorAll('table')].map((t) => ({
          dataRows: [...t.rows].filter((r) => r.querySelector('td')).length,
          cols: Math.max(0, ...[...t.rows].map((r) => r.cells.length)),
          cells: [...t.querySelectorAll('th, td')].map((c) => c.textContent.replace(/\s+/g, ' ').trim()),
          visible: shown(t),
          box: box(t),
          parentWidth: t.parentElement.clientWidth,
        }));
        // Top-level SVGs (not icons nested in another SVG) and images.
        const plots = [...document.querySelectorAll('svg, img')]
          .filter((el) => !(el.tagName.toLowerCase() === 'svg' && el.parentElement.closest('svg')))
          .map((el) => ({
            tag: el.tagName.toLowerCase(),
            id: el.closest('figure')?.id || el.id || '',
            inFigure: !!el.closest('figure'),
            loaded: el.tagName.toLowerCase() === 'img' ? el.complete && el.naturalWidth > 0 : true,
            visible: shown(el),
            box: box(el),
          }))
          .map((p) => ({ ...p, big: p.visible && p.loaded && p.box.width >= minW && p.box.height >= minH }));
        const section = document.querySelector('section#calibration');
        const calibration = section && {
          visible: shown(section),
          rows: [...section.querySelectorAll('table tr')].map((r) =>
            [...r.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim()),
          ),
          text: section.textContent.replace(/\s+/g, ' '),
          caption: section.querySelector('figure#calibration-plot figcaption')?.textContent.trim() ?? '',
        };
        const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '');
        const figures = [...document.querySelectorAll('figure')].map((f) => ({
          id: f.id,
          caption: text(f.querySelector('figcaption')),
        }));
        const recommendation = document.querySelector('section#recommendation');
        const top = (el) => el.getBoundingClientRect().top + scrollY;
        const rest = [...document.querySelectorAll('table, figure, h2')].filter(
          (el) => !(recommendation && recommendation.contains(el)) && shown(el),
        );
        const firstOther = rest.length ? Math.min(...rest.map(top)) : Infinity;
        const bill = document.querySelector('section#bill');
        const dataRows = (table) =>
          table ? [...table.rows].filter((r) => r.querySelector('td')).map((r) => [...r.cells].map(text)) : [];
        const ciSection = document.querySelector('section#summary, section#points');
        const sectionFacts = (id) => {
          const el = document.querySelector(`section#${id}`);
          return (
            el && {
              visible: shown(el),
              rows: [...el.querySelectorAll('table tr')].map((r) =>
                [...r.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim()),
              ),
              items: [...el.querySelectorAll(':scope > ul > li')].map((li) => li.textContent.replace(/\s+/g, ' ').trim()),
            }
          );
        };
        const doc = document.documentElement;
        return {
          figures,
          recommendation: recommendation && {
            visible: shown(recommendation),
            top: top(recommendation),
            text: text(recommendation),
            firstOther,
          },
          bill: bill && {
            visible: shown(bill),
            chart: [...bill.querySelectorAll('figure#cost svg, figure#cost img')].some(
              (el) => shown(el) && el.getBoundingClientRect().width >= minW,
            ),
            cells: dataRows(bill.querySelector('table')).flat(),
          },
          ci: ciSection && {
            id: ciSection.id,
            rows: dataRows(ciSection.querySelector('table')),
            note: [...ciSection.querySelectorAll('p')].some((p) => /confidence interval/.test(text(p))),
          },
          calibration,
          workloads: sectionFacts('workloads'),
          breaks: sectionFacts('breaks'),
          title: document.title,
          tables,
          plots,
          scrollWidth: doc.scrollWidth,
          clientWidth: doc.clientWidth,
          scripts: document.scripts.length,
        };
      },
      { minW: MIN_PLOT_W, minH: MIN_PLOT_H },
    );

    const table = facts.tables.find((t) => t.dataRows > 0 && t.visible);
    if (!table) {
      fail(
        'table',
        facts.tables.length === 0
          ? 'no <table> in the page'
          : 'no visible <table> with a data row (<tr> with a <td>)',
      );
    }
    const bigPlots = facts.plots.filter((p) => p.big);
    if (bigPlots.length === 0) {
      fail('no-plot', `no visible plot (<svg> or loaded <img> of at least ${MIN_PLOT_W}x${MIN_PLOT_H} CSS px)`);
    }
    for (const p of facts.plots.filter((p) => p.inFigure && !p.big)) {
      fail(
        'plot',
        `plot ${p.id || p.tag} in a <figure> is not shown at a usable size ` +
          `(${Math.round(p.box.width)}x${Math.round(p.box.height)} px, visible=${p.visible}, loaded=${p.loaded})`,
      );
    }
    if (table) {
      // A name counts when a cell holds it as a whole word (the run table marks its winner
      // "* name"), so "fck-nat-c6gn.medium-standby" does not stand in for "fck-nat-c6gn.medium".
      const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const missing = expected.filter((name) => {
        const re = new RegExp(`(^|[\\s*])${esc(name)}(\\s|$)`);
        return !table.cells.some((c) => re.test(c));
      });
      if (missing.length) fail('candidates', `not in the table: ${missing.join(', ')} (expected from ${expectedFrom})`);
    }
    const calibrationPlot = facts.plots.find((p) => p.id === 'calibration-plot');
    if (calibration) {
      const found = facts.calibration;
      if (!found || !found.visible) {
        fail('calibration', 'calibration.csv is there but the page has no visible <section id="calibration">');
      } else {
        const missing = calibration.compared.filter(
          ([c, m]) => !found.rows.some((cells) => cells[0] === c && cells[1] === m),
        );
        if (missing.length) {
          fail('calibration', `no row in the calibration table for ${missing.map((p) => p.join(' ')).join(', ')}`);
        }
        const unnamed = calibration.unsimulated.filter((m) => !found.text.includes(`${m}:`));
        if (unnamed.length) fail('calibration', `metrics read but not simulated are not named: ${unnamed.join(', ')}`);
        if (calibration.charted && !(calibrationPlot && calibrationPlot.big)) {
          fail('calibration', 'no calibration plot (figure#calibration-plot) shown at a usable size');
        }
        if (calibrationPlot && found.caption.length < 40) {
          fail('calibration', `the calibration plot's caption says too little: "${found.caption}"`);
        }
      }
    }
    for (const f of facts.figures) {
      const name = f.id ? `figure #${f.id}` : 'a figure';
      if (!f.caption) fail('caption', `${name} has no <figcaption>`);
      else if (f.caption.length < MIN_CAPTION || /^[\w.-]+\.(svg|png)$/i.test(f.caption)) {
        fail('caption', `${name}'s caption does not say what it shows: "${f.caption}"`);
      }
    }
    if (kind) {
      const r = facts.recommendation;
      if (!r || !r.visible || r.text.length < 20) {
        fail('recommendation', 'no visible <section id="recommendation"> with the answer');
      } else if (r.top > r.firstOther) {
        fail('recommendation', 'the recommendation does not come first: a table, figure or heading sits above it');
      }
    }
    if (kind === 'run') {
      const b = facts.bill;
      if (!b || !b.visible) fail('bill', 'no visible <section id="bill"> with the monthly bill');
      else {
        if (!b.chart) fail('bill', 'the monthly bill has no chart (figure#cost) shown at a usable size');
        const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const missing = expected.filter((name) => !b.cells.some((c) => new RegExp(`(^|[\\s*])${esc(name)}(\\s|$)`).test(c)));
        if (missing.length || b.cells.length === 0) {
          fail('bill', `the bill's table lacks ${missing.length ? missing.join(', ') : 'rows'}`);
        }
      }
    }
    if (replications > 1 && (kind === 'run' || kind === 'sweep')) {
      const c = facts.ci;
      if (!c || c.rows.length === 0) fail('ci', `${replications} replications but no summary table (section#summary or #points)`);
      else {
        const bare = c.rows.filter((row) => !row.some((cell) => cell.includes('±')));
        if (bare.length) fail('ci', `${replications} replications but ${bare.length} row(s) of #${c.id}'s table show no ± interval`);
        if (!c.note) fail('ci', `${replications} replications but #${c.id} does not say what ± is (its confidence interval)`);
      }
    }
    if (workloads) {
      const found = facts.workloads;
      if (!found || !found.visible) {
        fail('workloads', 'summary_by_workload.csv names several workloads but the page has no visible <section id="workloads">');
      } else {
        const strip = (c) => c.replace(/^\*\s+/, '');
        const missing = workloads.filter(
          ([c, w]) => !found.rows.some((r) => strip(r[0] ?? '') === c && r[1] === w),
        );
        if (missing.length) {
          fail('workloads', `no row in the per-workload table for ${missing.map((p) => p.join(' / ')).join(', ')}`);
        }
      }
    }
    if (breaks) {
      const found = facts.breaks;
      if (!found || !found.visible) {
        fail('breaks', 'breaks.csv has rows but the page has no visible <section id="breaks">');
      } else {
        const missing = breaks.filter((name) => !found.items.some((li) => li.includes(`${name}:`)));
        if (missing.length) fail('breaks', `no item of the breaks section names ${missing.join(', ')}`);
      }
    }
    if (facts.scrollWidth > facts.clientWidth) {
      notes.push(`page scrolls sideways (${facts.scrollWidth} px wide in a ${facts.clientWidth} px viewport)`);
    }
    facts.tables.forEach((t, i) => {
      if (t.box.width > t.parentWidth + 1) {
        notes.push(`table ${i + 1} is ${Math.round(t.box.width)} px wide, wider than its ${t.parentWidth} px column`);
      }
    });

    // The full-page screenshot, then proof that it shows the table and the first plot.
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true, animations: 'disabled' });
    const png = pngSize(shot);
    const regions = [];
    if (table) regions.push({ name: 'table', box: table.box, minColours: 3 });
    if (bigPlots[0]) regions.push({ name: `plot ${bigPlots[0].id ? '#' + bigPlots[0].id : bigPlots[0].tag}`, box: bigPlots[0].box, minColours: 4 });
    if (calibration && calibrationPlot?.big && calibrationPlot !== bigPlots[0]) {
      regions.push({ name: 'plot #calibration-plot', box: calibrationPlot.box, minColours: 4 });
    }
    const inside = regions.filter(({ name, box }) => {
      const ok = box.x >= 0 && box.y >= 0 && box.x + box.width <= png.width + 0.5 && box.y + box.height <= png.height + 0.5;
      if (!ok) {
        fail(
          'screenshot',
          `${name} at (${Math.round(box.x)},${Math.round(box.y)}) ${Math.round(box.width)}x${Math.round(box.height)} ` +
            `lies outside the ${png.width}x${png.height} screenshot`,
        );
      }
      return ok;
    });
    const stats = [];
    if (inside.length) {
      // Decode the PNG file itself in a blank page: a canvas reads each region's pixels.
      const probe = await context.newPage();
      const measured = await probe.evaluate(
        async ({ dataUrl, regions }) => {
          const img = new Image();
          img.src = dataUrl;
          await img.decode();
          const canvas = document.createElement('canvas');
          canvas.width = img.naturalWidth;
          canvas.height = img.naturalHeight;
          const ctx = canvas.getContext('2d', { willReadFrequently: true });
          ctx.drawImage(img, 0, 0);
          return regions.map(({ box }) => {
            const x = Math.floor(box.x);
            const y = Math.floor(box.y);
            const w = Math.max(1, Math.min(canvas.width - x, Math.ceil(box.width)));
            const h = Math.max(1, Math.min(canvas.height - y, Math.ceil(box.height)));
            const d = ctx.getImageData(x, y, w, h).data;
            const colours = new Set();
            let ink = 0;
            for (let i = 0; i < d.length; i += 4) {
              colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
              if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
            }
            return { colours: colours.size, ink: ink / (w * h) };
          });
        },
        { dataUrl: `data:image/png;base64,${png.bytes.toString('base64')}`, regions: inside },
      );
      await probe.close();
      inside.forEach((r, i) => {
        const m = measured[i];
        stats.push(`${r.name}: ${m.colours} colours, ${(m.ink * 100).toFixed(1)}% ink`);
        if (m.colours < r.minColours || m.ink < 0.005) {
          fail(
            'screenshot',
            `the screenshot's ${r.name} region is blank (${m.colours} distinct colours, ${(m.ink * 100).toFixed(2)}% dark pixels)`,
          );
        }
      });
    }

    const rel = (p) => path.relative(process.cwd(), p) || p;
    for (const n of notes) console.log(`note ${rel(report)}: ${n}`);
    if (problems.length) {
      console.log(`check-report: ${rel(report)} FAILED (${problems.length} problem(s)); screenshot ${rel(shot)}`);
      for (const p of problems) console.log(`  ${p}`);
      return 1;
    }
    console.log(
      `ok ${rel(report)} "${facts.title}": no console errors, no page errors, no requests; ` +
        `table ${table.dataRows} rows x ${table.cols} cols; ${bigPlots.length} plot(s); ` +
        `${expected.length} candidate(s) found (${expectedFrom}); ` +
        `${facts.figures.length} figure(s) with captions; ` +
        (kind ? `${kind} page, recommendation first; ` : '') +
        (replications > 1 && kind !== 'batch' ? `± intervals over ${replications} replications; ` : '') +
        (calibration
          ? `calibration: ${calibration.compared.length} compared row(s), ${calibration.unsimulated.length} not simulated, plot ${calibrationPlot?.big ? 'shown' : 'none'}; `
          : '') +
        (workloads ? `per workload: ${workloads.length} row(s); ` : '') +
        (breaks ? `breaks: ${breaks.length} candidate(s); ` : '') +
        `screenshot ${rel(shot)} ${png.width}x${png.height} (${stats.join('; ')})`,
    );
    return 0;
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error('check-report: gave up after 120 s');
  process.exit(2);
}, 120_000);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`check-report: ${e.stack || e}`);
    process.exit(2);
  },
);
