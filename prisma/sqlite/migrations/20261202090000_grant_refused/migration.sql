-- AlterTable
ALTER TABLE "Grant" ADD COLUMN "refusedAt" DATETIME;

