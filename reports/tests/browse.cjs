#!/usr/bin/env node
/*
 * Drive the built report site in headless Chromium (Debian's /usr/bin/chromium) with
 * puppeteer-core, for tests/python/test_reports_browser.py. Prints one JSON document:
 * per page, the console errors, page errors, failed and off-host requests, and a summary
 * of every ECharts instance (series names and data); for the lifter page, the number line
 * before and after choosing another lifter in the Dropdown. Saves a screenshot per page.
 *
 * usage: node browse.cjs <base url> <screenshot dir> <lifter to choose> [pages...]
 */
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [baseUrl, shotDir, chooseLifter, ...pageArgs] = process.argv.slice(2);
const pages = pageArgs.length ? pageArgs : ['/', '/lifter', '/clusters', '/classifier', '/data-quality', '/coach'];
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const base = new URL(baseUrl);
const started = Date.now();
const step = (what) => console.error(`[browse ${((Date.now() - started) / 1000).toFixed(1)}s] ${what}`);
/** Reject after `ms` (a hung browser call must not hang the test). */
const within = (promise, ms, what) =>
	Promise.race([
		promise,
		new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: timed out`)), ms))
	]);

/** Summary of every ECharts instance Evidence registered on the page. */
function chartsInPage() {
	const registry = window[Symbol.for('__evidence-chart-window-debug__')] || {};
	return Object.values(registry)
		.filter((chart) => chart && !chart.isDisposed() && document.body.contains(chart.getDom()))
		.map((chart) => {
			const option = chart.getOption();
			const container = chart.getDom().closest('[id]');
			return {
				container: container ? container.id : null,
				series: (option.series || []).map((s) => ({
					name: s.name,
					type: s.type,
					data: (s.data || []).map((d) => (d && typeof d === 'object' && 'value' in d ? d.value : d)),
					markLine: ((s.markLine && s.markLine.data) || []).map((m) => m.yAxis ?? m.xAxis ?? null)
				}))
			};
		});
}

function chartsHaveData(min) {
	const registry = window[Symbol.for('__evidence-chart-window-debug__')] || {};
	const live = Object.values(registry).filter(
		(chart) => chart && !chart.isDisposed() && document.body.contains(chart.getDom())
	);
	if (live.length < min) return false;
	return live.every((chart) =>
		(chart.getOption().series || []).some((s) => (s.data || []).length > 0)
	);
}

async function settle(page, minCharts, timings) {
	let t = Date.now();
	await page.waitForNetworkIdle({ idleTime: 500, timeout: 30000 }).catch(() => {});
	timings?.push(['network idle', Date.now() - t]);
	t = Date.now();
	await page
		.waitForFunction(chartsHaveData, { timeout: 30000, polling: 250 }, minCharts)
		.catch(() => {});
	timings?.push(['charts', Date.now() - t]);
	await new Promise((r) => setTimeout(r, 800)); // let animations finish for the screenshot
}

/** Pick `value` in the Evidence Dropdown titled `title` (its list is virtualized: search). */
async function choose(page, title, value) {
	const buttons = await page.$$('button[role="combobox"]');
	let opened = false;
	for (const button of buttons) {
		const text = await button.evaluate((b) => b.textContent || '');
		if (text.trim().startsWith(title)) {
			await button.click();
			opened = true;
			break;
		}
	}
	if (!opened) throw new Error(`no Dropdown titled ${title}`);
	const input = await page.waitForSelector('[data-cmdk-input], [role="dialog"] input', {
		visible: true,
		timeout: 10000
	});
	// the list is virtualized: click the option when it is rendered, else search for it
	const direct = await page.$(`[role="option"][data-value="${value}"]`);
	if (direct) {
		await direct.click();
		await page.keyboard.press('Escape');
		return;
	}
	// clear what an earlier attempt typed, then type slowly enough for a busy machine
	await input.click({ clickCount: 3 });
	await page.keyboard.press('Backspace');
	await input.type(value, { delay: 20 });
	const typed = await input.evaluate((i) => i.value);
	if (typed !== value) throw new Error(`the Dropdown search holds ${JSON.stringify(typed)}`);
	let option;
	try {
		option = await page.waitForSelector(`[role="option"][data-value="${value}"]`, {
			visible: true,
			timeout: 20000
		});
	} catch (err) {
		const shown = await page.evaluate(() =>
			[...document.querySelectorAll('[role="option"]')].map((o) => o.getAttribute('data-value'))
		);
		throw new Error(`option ${value} not shown (search ${typed}; options ${shown.join(', ')})`);
	}
	await option.click();
	await page.keyboard.press('Escape');
}

async function numberLine(page) {
	return page.evaluate(() => {
		const holder = document.getElementById('number-line');
		return {
			lifter: holder ? holder.dataset.lifter : null,
			lift: holder ? holder.dataset.lift : null
		};
	});
}

(async () => {
	fs.mkdirSync(shotDir, { recursive: true });
	const userDataDir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'liftlab-chromium-'));
	const browser = await puppeteer.launch({
		executablePath,
		headless: true,
		userDataDir,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-dev-shm-usage',
			'--use-gl=swiftshader',
			'--enable-unsafe-swiftshader'
		],
		defaultViewport: { width: 1280, height: 900 }
	});
	const report = { pages: {} };
	// watchdog: report what was gathered and fail instead of hanging. A guard against a
	// hang, not a speed target: a run over every page took 200 s once with the 2 CPUs
	// busy (the lifter choice alone 81 s), so the default leaves room for a slow machine
	const watchdog = setTimeout(() => {
		step('watchdog: giving up');
		report.timedOut = true;
		process.stdout.write(JSON.stringify(report));
		process.exit(2);
	}, Number(process.env.BROWSE_TIMEOUT_MS || 480000));
	try {
		for (const route of pages) {
			// a fresh context per page: no service worker or cache carried over
			const context = await browser.createBrowserContext();
			const page = await context.newPage();
			page.setDefaultTimeout(30000);
			step(`open ${route}`);
			const result = {
				consoleErrors: [],
				pageErrors: [],
				failedRequests: [],
				offHostRequests: [],
				httpErrors: []
			};
			report.pages[route] = result;
			await page.setRequestInterception(true);
			page.on('request', (request) => {
				const url = new URL(request.url());
				if (['data:', 'blob:'].includes(url.protocol) || url.host === base.host) {
					request.continue();
				} else {
					result.offHostRequests.push(request.url());
					request.abort();
				}
			});
			page.on('console', (msg) => {
				if (msg.type() === 'error') result.consoleErrors.push(msg.text());
			});
			page.on('pageerror', (err) => result.pageErrors.push(String(err && err.message ? err.message : err)));
			page.on('requestfailed', (request) =>
				result.failedRequests.push(`${request.url()} ${request.failure()?.errorText ?? ''}`)
			);
			page.on('response', (response) => {
				if (response.status() >= 400) result.httpErrors.push(`${response.status()} ${response.url()}`);
			});
			const response = await page.goto(new URL(route, base).href, {
				waitUntil: 'load',
				timeout: 60000
			});
			result.status = response ? response.status() : null;
			result.timings = [];
			await settle(page, 1, result.timings);
			result.title = await page.title();
			result.text = (await page.evaluate(() => document.body.innerText)).slice(0, 20000);
			result.charts = await page.evaluate(chartsInPage);
			const name = route === '/' ? 'index' : route.replace(/^\//, '').replace(/\//g, '_');
			step(`screenshot ${route}`);
			await within(
				page.screenshot({ path: path.join(shotDir, `${name}.png`), fullPage: true }),
				30000,
				`screenshot of ${route}`
			);

			if (route === '/lifter' && chooseLifter) {
				result.before = { ...(await numberLine(page)), charts: result.charts };
				result.chooseErrors = [];
				for (let attempt = 0; attempt < 3; attempt++) {
					try {
						step(`choose lifter ${chooseLifter} (attempt ${attempt + 1})`);
						await within(choose(page, 'Lifter', chooseLifter), 45000, 'choosing the lifter');
						await page.waitForFunction(
							(v) => document.getElementById('number-line')?.dataset.lifter === v,
							{ timeout: 10000 },
							chooseLifter
						);
						break;
					} catch (err) {
						result.chooseErrors.push(String(err && err.message ? err.message : err));
						await page.keyboard.press('Escape').catch(() => {});
					}
				}
				await page
					.waitForFunction(
						(v) => document.getElementById('number-line')?.dataset.lifter === v,
						{ timeout: 15000 },
						chooseLifter
					)
					.catch(() => {});
				// wait until the number line shows the new lifter's markers
				await page
					.waitForFunction(
						(old) => {
							const registry = window[Symbol.for('__evidence-chart-window-debug__')] || {};
							const live = Object.values(registry).filter(
								(c) => c && !c.isDisposed() && document.getElementById('number-line')?.contains(c.getDom())
							);
							if (!live.length) return false;
							const now = JSON.stringify(
								(live[0].getOption().series || []).filter((s) => String(s.name).startsWith('lifter:')).map((s) => s.data)
							);
							return now !== old && now !== '[]';
						},
						// the chart redraws after DuckDB-WASM has run the page's queries again: seconds
						// on a quiet machine, over a minute with both CPUs busy
						{ timeout: Number(process.env.BROWSE_REDRAW_TIMEOUT_MS || 120000), polling: 250 },
						JSON.stringify(
							(result.charts.find((c) => c.container === 'number-line')?.series || [])
								.filter((s) => String(s.name).startsWith('lifter:'))
								.map((s) => s.data)
						)
					)
					.catch((err) => {
						result.redrawError = String(err && err.message ? err.message : err);
					});
				await settle(page, 1);
				result.after = { ...(await numberLine(page)), charts: await page.evaluate(chartsInPage) };
				await within(
					page.screenshot({ path: path.join(shotDir, 'lifter_changed.png'), fullPage: true }),
					30000,
					'screenshot of the changed lifter page'
				);
			}
			step(`close ${route}`);
			await within(context.close(), 15000, 'closing the page').catch(() => {});
		}
	} finally {
		clearTimeout(watchdog);
		await within(browser.close(), 15000, 'closing the browser').catch(() => browser.process()?.kill('SIGKILL'));
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}
	process.stdout.write(JSON.stringify(report));
})().catch((err) => {
	console.error(err && err.stack ? err.stack : err);
	process.exit(1);
});
