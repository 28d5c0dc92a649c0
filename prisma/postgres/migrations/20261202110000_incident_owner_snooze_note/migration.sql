-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "ownedAt" TIMESTAMP(3),
ADD COLUMN     "ownedBy" TEXT,
ADD COLUMN     "resolutionNote" TEXT,
ADD COLUMN     "resolutionNoteAt" TIMESTAMP(3),
ADD COLUMN     "resolutionNoteBy" TEXT,
ADD COLUMN     "snoozedBy" TEXT,
ADD COLUMN     "snoozedUntil" TIMESTAMP(3);

