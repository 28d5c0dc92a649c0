-- CreateTable
CREATE TABLE "XeroAppBudget" (
    "second" BIGINT NOT NULL,
    "calls" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "XeroAppBudget_pkey" PRIMARY KEY ("second")
);

