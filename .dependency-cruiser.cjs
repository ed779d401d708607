// Which folder may import which. `npm run deps:check` fails on any 'error' below.
// Layers: src/domain is pure rules (no I/O), src/db is the schema and the connection, features
// (src/items, src/escalations, ...) use both, src/app.ts wires the features together and only
// the entry points build it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'src/domain holds pure rules tested without a database: it imports only itself and npm packages ' +
        'that are plain computation (no Node built-ins, no database, no queue, no HTTP).',
      from: { path: '^src/domain/' },
      to: {
        pathNot: ['^src/domain/', '^node_modules/@stdlib/math-base-special-[^/]+/'],
      },
    },
    {
      name: 'db-only-domain',
      severity: 'error',
      comment: 'src/db (schema, client, transactions) may use src/domain types and npm packages, never a feature.',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: ['^src/db/', '^src/domain/'] },
    },
    {
      name: 'only-entry-points-import-app',
      severity: 'error',
      comment:
        'src/app.ts wires every feature together; a feature importing it makes a cycle through the whole app. ' +
        'Only the process entry point (src/main.ts), the OpenAPI document that renders the built app ' +
        '(src/openapi/), the tests and the benchmarks build it.',
      from: { path: '^src/', pathNot: ['^src/main\\.ts$', '^src/openapi/'] },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment:
        'Two feature folders that import each other cannot be understood, tested or moved apart. ' +
        'Move the shared part down (src/domain, src/db, or a new folder both may import).',
      scope: 'folder',
      // With scope 'folder' the paths are folder names ('src/items'), without a trailing slash.
      from: { path: '^src/' },
      to: { path: '^src/', circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      comment: 'ES modules in a cycle see each other half-initialised, depending on which is loaded first.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests',
      severity: 'error',
      comment: 'The service never loads test or benchmark code.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'service-not-to-openapi-tool',
      severity: 'error',
      comment:
        'src/openapi renders the committed document from the built app (`npm run openapi`, a test): the service ' +
        'never loads it, so it may use devDependencies and import src/app.ts without a cycle. The docs plugin ' +
        'the app registers lives in src/api-docs.',
      from: { path: '^src/', pathNot: '^src/openapi/' },
      to: { path: '^src/openapi/' },
    },
    {
      name: 'src-not-to-dev-deps',
      severity: 'error',
      comment:
        'The production image installs dependencies only: src/ must not load a devDependency at run time ' +
        '(src/openapi is a development tool the service never loads: see service-not-to-openapi-tool).',
      from: { path: '^src/', pathNot: '^src/openapi/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // No includeOnly: it would drop Node built-ins (node:fs), which domain-is-pure must see.
    exclude: { path: '^(dist|coverage|\\.data)/' },
    doNotFollow: { path: 'node_modules' },
    // Count `import type` too: a type-only import still ties the folders together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
