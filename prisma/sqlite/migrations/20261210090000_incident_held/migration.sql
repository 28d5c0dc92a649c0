-- AlterTable
ALTER TABLE "Incident" ADD COLUMN "held" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Incident" ADD COLUMN "heldBy" TEXT;
