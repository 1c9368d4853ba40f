// `osv profiles`: the hypervisor profiles osv ships (tools/osv/profiles/*.json).
import { listProfiles } from '../linker/profile.js';

export const PROFILES_USAGE = `usage: osv profiles

Lists the hypervisor profiles a kernel can be linked for (osv link/build --profile NAME): each
one's target and the devices it attaches. Another profile is a JSON file of the same fields
(name, description, target, transport, devices, offers), named by its path.
`;

export function profilesCommand(argv: readonly string[]): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(PROFILES_USAGE);
    return 0;
  }
  const profiles = listProfiles();
  const w = Math.max(...profiles.map((p) => p.name.length));
  const t = Math.max(...profiles.map((p) => p.target.length));
  for (const p of profiles)
    process.stdout.write(
      `${p.name.padEnd(w)}  ${p.target.padEnd(t)}  ${p.devices.join(',') || '(no devices)'}\n${' '.repeat(w + t + 4)}${p.description}\n`,
    );
  return 0;
}
