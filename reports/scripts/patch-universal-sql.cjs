#!/usr/bin/env node
/*
 * Offline fix for Evidence (postinstall): DuckDB-Wasm downloads its `parquet` extension
 * from the web at run time, so `evidence sources` / `evidence build` and the built pages
 * hang without a network. This patch makes @evidence-dev/universal-sql write and load each
 * source table as Arrow IPC (tableToIPC / insertArrowFromIPCStream, built into DuckDB-Wasm)
 * instead of through read_parquet, in three places. The files keep their `.parquet` names
 * (Evidence's manifest lists them) but hold an Arrow IPC stream.
 *
 * Idempotent: a file already patched is left alone. Fails loudly (exit 1) when a pattern
 * it expects is missing, so an Evidence upgrade cannot slip through silently.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const MARKER = '/* liftlab-arrow-ipc-patch */';
const root = path.join(__dirname, '..', 'node_modules', '@evidence-dev', 'universal-sql', 'src');

const patches = [
	{
		file: 'build-parquet.js',
		edits: [
			{
				find: 'const parquetBuffer = writeParquet(Table.fromIPCStream(IPC), writerProperties);',
				replace: `${MARKER} const parquetBuffer = IPC; void writeParquet; void Table;`
			},
			{
				// an empty table still gets a file (an Arrow stream with the schema, no rows),
				// so that pages can query it
				find: '\tif (!tmpFilenames.length) return 0;',
				replace: [
					`\t${MARKER}`,
					'\tif (!tmpFilenames.length) {',
					'\t\tconst emptyPath = path.join(outDir, outputFilename);',
					'\t\tawait fs.mkdir(path.dirname(emptyPath), { recursive: true });',
					'\t\tconst empty = tableFromArrays(',
					'\t\t\tObject.fromEntries(columns.map((c) => [c.name, convertArrayToVector(c, [])]))',
					'\t\t);',
					"\t\tawait fs.writeFile(emptyPath, tableToIPC(empty, 'stream'));",
					'\t\treturn 0;',
					'\t}'
				].join('\n')
			},
			{
				find: [
					"\tconst parquetFiles = tmpFilenames.map((filename) => `'${filename.replaceAll('\\\\', '/')}'`);",
					'',
					'\tconst select = `SELECT * FROM read_parquet([${parquetFiles.join(\',\')}])`;',
					"\tconst copy = `COPY (${select}) TO '${outputFilepath}' (FORMAT 'PARQUET', CODEC 'ZSTD', USE_TMP_FILE false);`;",
					'',
					'\tawait fs.mkdir(path.dirname(outputFilepath), { recursive: true });',
					'\tawait query(copy);'
				].join('\n'),
				replace: [
					`\t${MARKER}`,
					'\tawait fs.mkdir(path.dirname(outputFilepath), { recursive: true });',
					'\t{',
					"\t\tconst arrow = await import('apache-arrow');",
					'\t\tconst batches = [];',
					'\t\tfor (const f of tmpFilenames) batches.push(...arrow.tableFromIPC(await fs.readFile(f)).batches);',
					"\t\tawait fs.writeFile(outputFilepath, tableToIPC(new arrow.Table(batches), 'stream'));",
					'\t\tvoid query;',
					'\t}'
				].join('\n')
			}
		]
	},
	{
		file: path.join('client-duckdb', 'node.js'),
		edits: [
			{
				find: [
					'\t\t\tdb.registerFileURL(',
					'\t\t\t\tfile_name,',
					'\t\t\t\turl.split(pathDelimiterRegex).join(path.sep),',
					'\t\t\t\tDuckDBDataProtocol.NODE_FS,',
					'\t\t\t\tfalse',
					'\t\t\t);',
					'\t\t\tconnection.query(',
					'\t\t\t\t`CREATE OR REPLACE VIEW "${source}"."${table}" AS (SELECT * FROM read_parquet(\'${file_name}\'));`',
					'\t\t\t);'
				].join('\n'),
				replace: [
					`\t\t\t${MARKER}`,
					"\t\t\tconst ipc = new Uint8Array(require('fs').readFileSync(url.split(pathDelimiterRegex).join(path.sep)));",
					'\t\t\tconnection.query(`DROP TABLE IF EXISTS "${source}"."${table}";`);',
					'\t\t\tconnection.insertArrowFromIPCStream(ipc, { schema: source, name: table, create: true });',
					'\t\t\tvoid DuckDBDataProtocol;'
				].join('\n')
			}
		]
	},
	{
		file: path.join('client-duckdb', 'browser.js'),
		edits: [
			{
				find: [
					'\t\t\t\tawait db.registerFileURL(file_name, addBasePath(path), DuckDBDataProtocol.HTTP, false);',
					'\t\t\t\tawait connection.query(',
					'\t\t\t\t\t`CREATE OR REPLACE VIEW "${source}"."${table}" AS (SELECT * FROM read_parquet(\'${file_name}\'));`',
					'\t\t\t\t);'
				].join('\n'),
				replace: [
					`\t\t\t\t${MARKER}`,
					'\t\t\t\tconst response = await fetch(addBasePath(path));',
					'\t\t\t\tif (!response.ok) throw new Error(`cannot fetch ${path}: HTTP ${response.status}`);',
					'\t\t\t\tconst ipc = new Uint8Array(await response.arrayBuffer());',
					'\t\t\t\tawait connection.query(`DROP TABLE IF EXISTS "${source}"."${table}";`);',
					'\t\t\t\tawait connection.insertArrowFromIPCStream(ipc, { schema: source, name: table, create: true });',
					'\t\t\t\tvoid DuckDBDataProtocol;'
				].join('\n')
			}
		]
	}
];

let failed = false;
for (const { file, edits } of patches) {
	const full = path.join(root, file);
	if (!fs.existsSync(full)) {
		console.error(`patch-universal-sql: missing file ${full}`);
		failed = true;
		continue;
	}
	let text = fs.readFileSync(full, 'utf8');
	let changed = false;
	for (const [i, { find, replace }] of edits.entries()) {
		if (text.includes(replace)) continue; // already applied
		const count = text.split(find).length - 1;
		if (count !== 1) {
			console.error(
				`patch-universal-sql: ${file} edit ${i + 1}: expected pattern found ${count} times` +
					' (Evidence version changed?)'
			);
			failed = true;
			continue;
		}
		text = text.replace(find, () => replace);
		changed = true;
	}
	if (changed) {
		fs.writeFileSync(full, text);
		console.log(`patch-universal-sql: patched ${file}`);
	} else {
		console.log(`patch-universal-sql: ${file} already patched`);
	}
}
if (failed) {
	console.error('patch-universal-sql: FAILED; the offline Arrow IPC patch is not applied');
	process.exit(1);
}
