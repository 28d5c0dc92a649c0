-- AlterTable
ALTER TABLE "Connection" ADD COLUMN "tenantProbedAt" DATETIME;

-- AlterTable
ALTER TABLE "Incident" ADD COLUMN "missingScopes" TEXT;

