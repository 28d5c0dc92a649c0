// The arrows of the architecture (DESIGN section 10), checked by `npm run lint:layers` in CI:
// pure rules in src/domain, use cases in src/handlers, everything that talks to the outside world
// in src/adapters, Prisma only in src/adapters/db. Dependencies point inward.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain holds pure rules and words: it imports nothing of ours outside itself.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'domain-has-no-io',
      comment: 'src/domain talks to nothing outside: no npm packages except zod, no node built-ins.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'core'], pathNot: '(^|/)node_modules/zod/' },
    },
    {
      name: 'handlers-use-no-adapter',
      comment: 'Use cases see the world only through their own ports: no adapter, no generated Prisma code.',
      severity: 'error',
      from: { path: '^src/handlers/' },
      to: { path: ['^src/adapters/', '^src/generated/', '^src/service\\.ts$', '^src/main\\.ts$'] },
    },
    {
      name: 'prisma-only-in-db',
      comment:
        'Prisma (the client, its type in src/adapters/db/client.ts, and the generated code) is used in src/adapters/db only; ' +
        'everything else sees the handlers\' repository interfaces.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/adapters/db/', '^src/generated/'] },
      to: { path: ['^src/generated/', '^src/adapters/db/client\\.ts$', '(^|/)node_modules/@prisma/', '(^|/)node_modules/prisma/'] },
    },
    {
      name: 'database-built-by-the-composition-root',
      comment: 'Only src/service.ts opens the database (createDatabase in src/adapters/db/index.ts) and hands its repositories out.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/adapters/db/', '^src/service\\.ts$'] },
      to: { path: '^src/adapters/db/index\\.ts$' },
    },
    {
      name: 'chat-adapters-stay-apart',
      comment: 'Slack and Teams share handlers and views, never each other’s code, and never call Xero.',
      severity: 'error',
      from: { path: '^src/adapters/slack/' },
      to: { path: ['^src/adapters/teams/', '^src/adapters/xero/'] },
    },
    {
      name: 'teams-stays-apart',
      comment: 'Slack and Teams share handlers and views, never each other’s code, and never call Xero.',
      severity: 'error',
      from: { path: '^src/adapters/teams/' },
      to: { path: ['^src/adapters/slack/', '^src/adapters/xero/'] },
    },
    {
      name: 'chat-pipeline-is-neutral',
      comment: 'src/adapters/chat runs every Slack and Teams request the same way: it knows neither platform (nor Xero, nor Prisma).',
      severity: 'error',
      from: { path: '^src/adapters/chat/' },
      to: { path: ['^src/adapters/slack/', '^src/adapters/teams/', '^src/adapters/xero/', '^src/adapters/db/', '(^|/)node_modules/@slack/', '(^|/)node_modules/botbuilder'] },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
