-- AlterTable
ALTER TABLE "Incident" ADD COLUMN "linksSent" TEXT;
ALTER TABLE "Incident" ADD COLUMN "resetAdvised" BOOLEAN NOT NULL DEFAULT false;
