// Runs a built Lambda bundle's handler once per event, one after the other, in this process, and prints
// the results as one JSON array. Usage: node invoke-bundle.mjs <bundle.mjs> '<JSON array of events>'.
// The bundle reads its configuration from this process's environment at import (cold start).
import { pathToFileURL } from 'node:url';

const [bundle, events] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);
const results = [];
for (const event of JSON.parse(events)) {
  try {
    results.push(await handler(event, { awsRequestId: `req-${results.length}` }));
  } catch (error) {
    results.push({ error: error.message });
  }
}
process.stdout.write(JSON.stringify(results));
