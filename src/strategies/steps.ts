import type { Plan } from '../types.js';

/** The deploy steps of a strategy that writes one fly.toml: create the app once, allocate IPs a non-HTTP port needs, deploy. */
export function flyTomlNextSteps(plan: Plan): string[] {
  const steps = ['fly launch --no-deploy --copy-config   # create the app on Fly from this fly.toml (once)'];
  // A public port other than 80/443 makes the first deploy ask for a dedicated IPv4 (and allocate
  // nothing in CI): allocate before it. `fly deploy` itself creates a Machine for every group.
  // --other-ports decides which: IPv6 (and Flycast) only, a dedicated IPv4 too, or no public port.
  const extraPorts = plan.processes.filter((p) => p.port !== undefined && p.name !== plan.http).map((p) => p.port);
  if (extraPorts.length && plan.otherPorts === 'ipv6') {
    steps.push(
      `fly ips allocate-v6 && fly ips allocate-v4 --shared   # before the first deploy, so it does not stop to ask for a dedicated IPv4: port ${extraPorts.join(', ')} is then public over IPv6 only (IPv4 clients reach 80/443); --other-ports ipv4 for a dedicated IPv4 (billed)`,
    );
  } else if (extraPorts.length && plan.otherPorts === 'ipv4') {
    steps.push(
      `fly ips allocate-v6 && fly ips allocate-v4   # before the first deploy: a dedicated IPv4 (billed monthly), so port ${extraPorts.join(', ')} answers over IPv4 too`,
    );
  }
  steps.push('fly deploy', 'fly logs');
  return steps;
}

/** The auto-stop note of a strategy that runs every process on one Machine. */
export function oneMachineNotes(plan: Plan): string[] {
  const idle = plan.processes.filter((p) => p.port === undefined).map((p) => p.name);
  return idle.length && plan.http
    ? [
        `auto-stop is off: every process shares one Machine, and stopping it when idle would also stop ${idle.join(', ')}`,
      ]
    : [];
}
