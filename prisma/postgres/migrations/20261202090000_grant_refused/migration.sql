-- AlterTable
ALTER TABLE "Grant" ADD COLUMN     "refusedAt" TIMESTAMP(3);

