"""Model cards and experiment notes of the demo models, written like a team would write them."""

from __future__ import annotations

MODEL_CARDS: dict[str, str] = {
    "fraud-detector": """# Model card: fraud-detector

## Intended use
Scores card transactions for fraud in real time. Scores above 0.8 go to manual review;
the model never blocks a payment on its own.

## Training data
Synthetic transactions shaped like our card traffic: 3% fraud, 20 numeric features
(amount, merchant risk, velocity counts). Each version records its dataset version.

## Evaluation
Reported on a stratified 25% hold-out: ROC AUC, F1 and recall of the fraud class.
Accuracy is misleading on a 3% positive rate and is not used for the gate.

## Known limitations
- Recall drops on merchants unseen in training; new merchant categories need a retrain.
- The model is sensitive to drift in `amount` and `velocity_24h`; monitoring alerts on PSI.
- Trained on card-present and card-not-present traffic together; card-not-present fraud
  is under-represented, so its recall is lower.
- Data bias: the synthetic set under-represents small merchants.

## Ethical considerations
Scores must not be used to deny service without human review.
""",
    "churn-predictor": """# Model card: churn-predictor

## Intended use
Ranks subscribers by risk of cancelling within 30 days, for the retention team's outreach.

## Why gradient boosting
We switched the churn model from logistic regression to gradient boosting in the summer
because logistic regression missed the interaction between contract type and tenure:
month-to-month customers with short tenure churn far more than either feature alone
suggests. Gradient boosting raised F1 on the hold-out and kept calibration acceptable.

## Known limitations
- Customers with under one month of tenure have too little history; scores are unreliable.
- The label lags by 30 days, so the newest month is always missing from training.
""",
    "image-classifier": """# Model card: image-classifier

## Intended use
Classifies 8x8 grey-scale digit images (scikit-learn's digits set) for the scanning demo.

## Known limitations
- Trained on clean, centred digits; rotated or noisy scans lower accuracy sharply.
- Class balance is near uniform; real scans over-represent 0 and 1.
""",
    "wine-quality": """# Model card: wine-quality

## Intended use
Assigns one of three cultivars to a wine from 13 chemical measurements (UCI wine data).

## Known limitations
- 178 samples in all; accuracy estimates have wide confidence intervals.
""",
}

EXPERIMENT_NOTES: dict[str, str] = {
    "fraud-detector": (
        "2026 retrain notes: class weights 'balanced' raised fraud recall from 0.61 to 0.74 at the "
        "cost of precision. The v3 rollout was rolled back because precision fell below the review "
        "team's capacity; see the rollback event."
    ),
    "image-classifier": (
        "SVC with an RBF kernel beats random forest on digits by about two points of accuracy; "
        "gradient boosting is slower to train and not better."
    ),
}
