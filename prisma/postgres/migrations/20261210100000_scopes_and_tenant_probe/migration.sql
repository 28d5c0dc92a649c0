-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "tenantProbedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "missingScopes" TEXT;

