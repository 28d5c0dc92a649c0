-- AlterTable
ALTER TABLE "Incident" ADD COLUMN "ownedAt" DATETIME;
ALTER TABLE "Incident" ADD COLUMN "ownedBy" TEXT;
ALTER TABLE "Incident" ADD COLUMN "resolutionNote" TEXT;
ALTER TABLE "Incident" ADD COLUMN "resolutionNoteAt" DATETIME;
ALTER TABLE "Incident" ADD COLUMN "resolutionNoteBy" TEXT;
ALTER TABLE "Incident" ADD COLUMN "snoozedBy" TEXT;
ALTER TABLE "Incident" ADD COLUMN "snoozedUntil" DATETIME;

