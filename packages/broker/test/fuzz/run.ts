// `npm run fuzz`: the live fuzz harness (live-fuzz.ts) for a longer budget. Knobs (environment):
//   SAMSA_FUZZ_SECONDS=300   how long to attack
//   SAMSA_FUZZ_SEED=n        replay a run (default: a random seed, printed first)
//   SAMSA_FUZZ_WORKERS=12    hostile connections at once
// Exits 1 and prints the seed and the offending frame on any finding.
import { runLiveFuzz } from "./live-fuzz.ts";

const seed = Number(process.env["SAMSA_FUZZ_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const seconds = Number(process.env["SAMSA_FUZZ_SECONDS"] ?? 300);
const workers = Number(process.env["SAMSA_FUZZ_WORKERS"] ?? 12);
console.log(`live fuzz: seed ${seed} (replay with SAMSA_FUZZ_SEED=${seed}), ${seconds} s, ${workers} connections`);
const report = await runLiveFuzz({ seed, durationMs: seconds * 1000, workers, print: (line) => console.log(line) });
console.log(
  `done: ${report.attacks} attacks, ${report.answered} answered, ${report.closedByBroker} closed by the broker ` +
    `(${report.closeLogLines} close log lines), ${report.longPolls} long polls, ${report.healthyRounds} healthy ` +
    `rounds, ${report.saslAttacks} SASL attacks (${report.logins} genuine logins worked, ${report.refusedLogins} bad ones refused), broker rss ${(report.rssBaselineBytes / 2 ** 20).toFixed(0)} → max ${(report.rssMaxBytes / 2 ** 20).toFixed(0)} MiB`,
);
for (const failure of report.failures) console.error(`FAIL ${failure}`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
