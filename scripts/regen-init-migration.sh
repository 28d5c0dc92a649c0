#!/usr/bin/env bash
# Development only, before the first release: rewrites the init migration of both dialects from
# prisma/models.prisma. After a release, add a new migration folder instead.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/prisma-schemas.ts
name=$(ls prisma/sqlite/migrations | grep -v toml | head -1)
PRISMA_DIALECT=sqlite DATABASE_URL=file:/tmp/xg-diff.db npx prisma migrate diff --from-empty \
  --to-schema-datamodel prisma/sqlite/schema.prisma --script > "prisma/sqlite/migrations/$name/migration.sql"
PRISMA_DIALECT=postgres DATABASE_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres} npx prisma migrate diff --from-empty \
  --to-schema-datamodel prisma/postgres/schema.prisma --script > "prisma/postgres/migrations/$name/migration.sql"
PRISMA_DIALECT=sqlite npx prisma generate >/dev/null
PRISMA_DIALECT=postgres npx prisma generate >/dev/null
echo "rewrote $name for sqlite and postgres, regenerated clients"
