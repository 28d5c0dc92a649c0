-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "held" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "heldBy" TEXT;
