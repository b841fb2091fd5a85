// Preloaded (`node -r`) into a child process by the bound tests: at exit, writes the CPU time the process
// used (user + system, in ms) to the file named by TRAILGUARD_CPU_FILE. Unlike wall-clock time, it does
// not depend on how loaded the machine is.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  const peakRss = process.resourceUsage().maxRSS;
  writeFileSync(process.env.TRAILGUARD_CPU_FILE, JSON.stringify({ cpuMs: (user + system) / 1000, peakRssKb: peakRss }));
});
