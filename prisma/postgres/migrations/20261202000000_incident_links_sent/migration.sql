-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "linksSent" TEXT,
ADD COLUMN     "resetAdvised" BOOLEAN NOT NULL DEFAULT false;
