// Many role profiles for ~/.aws/config, to list (never to open): the benchmark's 5,000 and the
// paging test's 12,000. Names `acct-NNNN-role`, sorted as the host sorts them.

const ROLES = ['Admin', 'ReadOnly', 'Developer', 'Billing'];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];

/** `count` role profiles sourced from `alice`; returns the config text and the names in order. */
export function roleProfiles(count) {
  const width = Math.max(4, String(count - 1).length);
  const lines = [];
  const names = [];
  for (let i = 0; i < count; i += 1) {
    const role = ROLES[i % 4];
    const name = `acct-${String(i).padStart(width, '0')}-${role.toLowerCase()}`;
    names.push(name);
    lines.push(`[profile ${name}]`, `role_arn = arn:aws:iam::${100000000000 + i}:role/${role}`,
      'source_profile = alice', `region = ${REGIONS[i % 3]}`, '');
  }
  return { config: lines.join('\n'), names };
}
