#!/bin/bash
# Reruns every committed benchmark result; written by benchmarks/summarize.py from the
# runs recorded under benchmarks/ (do not edit). Each command resumes: cells already in its folder are
# reused, so rerunning only fills what is missing. pf cells of the pf-v1 folders need the code of
# their time (the bench refuses to mix model configurations): a refused command does not stop the rest.
set -u
COMMON='--max-epochs 15 --patience 3 --train-stride auto --test-stride 1 --robustness-stride horizon --batch-size 64 --learning-rate 0.001 --levels 0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8 --repeats 1 --profile default --threads 1 --impute zero'
pf-forecast bench --suite epf --models pf,pf-late,pf-early,tide,tsmixer,tcn,nhits,dlinear,linear,naive-seasonal --seeds 0,1,2 --tracks past --out benchmarks/epf --max-train-samples 4000 $COMMON
pf-forecast bench --suite stocks --models pf,pf-late,pf-early,tide,tsmixer,tcn,nhits,dlinear,linear,naive-seasonal,arima,exp-smoothing --seeds 0,1,2 --out benchmarks/stocks --max-train-samples 4000 $COMMON
pf-forecast bench --suite beijing --models pf,pf-late,tide,dlinear,linear,naive-seasonal --seeds 0, --tracks past --out benchmarks/beijing --max-train-samples 4000 $COMMON
pf-forecast bench --suite etth1 --models pf,pf-late,tide,dlinear,linear,naive-seasonal --seeds 0, --out benchmarks/etth1 --max-train-samples 4000 $COMMON
EPF_ALLDATA='--suite epf --tracks past --max-train-samples all'
pf-forecast bench $EPF_ALLDATA --models pf,tide,linear,pf-late,dlinear --seeds 0, --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models dlinear --seeds 1,2 --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models tsmixer,nhits --seeds 0, --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models pf,pf-late,tide --seeds 1,2 --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models naive-seasonal,tcn,pf-early --seeds 0, --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models tcn --seeds 1,2 --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models pf-early --seeds 1,2 --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models lightgbm --seeds 0, --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models lightgbm --seeds 1,2 --datasets epf-PJM --out benchmarks/epf_alldata $COMMON
pf-forecast bench $EPF_ALLDATA --models pf --seeds 0, --out benchmarks/epf_alldata_v2 $COMMON
pf-forecast bench $EPF_ALLDATA --models pf-late --seeds 0, --out benchmarks/epf_alldata_v2 $COMMON
pf-forecast bench $EPF_ALLDATA --models pf --seeds 1, --out benchmarks/epf_alldata_v2 $COMMON
pf-forecast bench $EPF_ALLDATA --models pf --seeds 2, --out benchmarks/epf_alldata_v2 $COMMON
pf-forecast bench $EPF_ALLDATA --models pf-late --seeds 1,2 --datasets epf-BE,epf-DE,epf-FR,epf-NP --out benchmarks/epf_alldata_v2 $COMMON
FEV_EPF='--suite fev-epf --max-epochs 15 --patience 3 --max-train-samples all --train-stride auto --test-stride 24 --robustness-stride horizon --batch-size 64 --learning-rate 0.001 --levels 0 --repeats 1 --profile default --impute ffill --threads 1 --no-missing --probabilistic'
pf-forecast bench $FEV_EPF --models pf,tide,pf-late,tsmixer --seeds 0,1,2 --out benchmarks/fev_epf
pf-forecast bench $FEV_EPF --models naive-seasonal,linear --seeds 0,1,2 --out benchmarks/fev_epf
pf-forecast bench $FEV_EPF --models lightgbm --seeds 0,1,2 --out benchmarks/fev_epf
pf-forecast bench $FEV_EPF --models dlinear --seeds 0, --out benchmarks/fev_epf
pf-forecast bench $FEV_EPF --models nhits --seeds 0, --out benchmarks/fev_epf
pf-forecast bench $FEV_EPF --models tcn --seeds 0, --out benchmarks/fev_epf
pf-forecast bench $FEV_EPF --models dlinear --seeds 1,2 --datasets epf-BE --out benchmarks/fev_epf
pf-forecast bench $FEV_EPF --models pf --seeds 0, --out benchmarks/fev_epf_v2
pf-forecast bench $FEV_EPF --models pf --seeds 1,2 --out benchmarks/fev_epf_v2
pf-forecast bench $FEV_EPF --models pf-late --seeds 0,1,2 --out benchmarks/fev_epf_v2
pf-forecast bench $FEV_EPF --models pf --seeds 0, --out benchmarks/fev_epf_v3
pf-forecast bench $FEV_EPF --models pf-late --seeds 0, --out benchmarks/fev_epf_v3
pf-forecast bench $FEV_EPF --models pf --seeds 1,2 --out benchmarks/fev_epf_v3
pf-forecast bench $FEV_EPF --models pf --seeds 0, --out benchmarks/fev_epf_v4
pf-forecast bench $FEV_EPF --models pf-late --seeds 0, --out benchmarks/fev_epf_v4
pf-forecast bench $FEV_EPF --models pf --seeds 1,2 --out benchmarks/fev_epf_v4
pf-forecast bench $FEV_EPF --models pf-late --seeds 1,2 --datasets epf-BE,epf-FR,epf-NP --out benchmarks/fev_epf_v4
pf-forecast bench $FEV_EPF --models pf-late --seeds 1,2 --datasets epf-DE,epf-PJM --out benchmarks/fev_epf_v4
FAULTS='--max-epochs 15 --patience 3 --max-train-samples all --train-stride auto --test-stride 1 --robustness-stride horizon --batch-size 64 --learning-rate 0.001 --levels 0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8 --repeats 1 --profile default --impute ffill --threads 1 --faults --fault-impute best'
pf-forecast bench $FAULTS --suite stocks --models linear,tide,pf --seeds 0, --out benchmarks/faults
pf-forecast bench $FAULTS --suite etth1 --models linear,tide,pf --seeds 0, --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models linear,tide,pf --seeds 0, --tracks future --datasets epf-NP,epf-BE --out benchmarks/faults
pf-forecast bench $FAULTS --suite beijing --models linear,tide --seeds 0, --tracks past --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models linear,tide --seeds 0, --tracks past --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models linear,tide --seeds 0, --tracks future --datasets epf-DE,epf-FR,epf-PJM --out benchmarks/faults
pf-forecast bench $FAULTS --suite stocks --models naive-seasonal,arima,exp-smoothing,dlinear,nhits,tsmixer,tcn,lightgbm --seeds 0, --out benchmarks/faults
pf-forecast bench $FAULTS --suite etth1 --models naive-seasonal,dlinear,nhits,tsmixer,tcn,lightgbm --seeds 0, --out benchmarks/faults
pf-forecast bench $FAULTS --suite beijing --models naive-seasonal,dlinear,nhits,tsmixer,tcn,lightgbm --seeds 0, --tracks past --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models naive-seasonal,dlinear,nhits --seeds 0, --tracks future --out benchmarks/faults
pf-forecast bench $FAULTS --suite stocks --models tcn,tsmixer,dlinear --seeds 1,2 --out benchmarks/faults
pf-forecast bench $FAULTS --suite etth1 --models dlinear --seeds 1,2 --out benchmarks/faults
pf-forecast bench $FAULTS --suite beijing --models lightgbm,tsmixer --seeds 1,2 --tracks past --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models tsmixer,tcn,lightgbm --seeds 0, --tracks future --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models tide --seeds 1,2 --tracks future --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models lightgbm --seeds 1,2 --tracks future --datasets epf-PJM --out benchmarks/faults
pf-forecast bench $FAULTS --suite epf --models tsmixer --seeds 1,2 --tracks future --datasets epf-DE --out benchmarks/faults
pf-forecast bench $FAULTS --suite stocks --models pf --seeds 0, --out benchmarks/faults_v2
pf-forecast bench $FAULTS --suite etth1 --models pf --seeds 0, --out benchmarks/faults_v2
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --datasets epf-NP --out benchmarks/faults_v2
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --datasets epf-BE --out benchmarks/faults_v2
pf-forecast bench $FAULTS --suite stocks --models pf --seeds 0, --out benchmarks/faults_v3
pf-forecast bench $FAULTS --suite etth1 --models pf --seeds 0, --out benchmarks/faults_v3
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --datasets epf-NP --out benchmarks/faults_v3
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --datasets epf-BE --out benchmarks/faults_v3
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --datasets epf-NP --out benchmarks/faults_v4
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --datasets epf-BE --out benchmarks/faults_v4
pf-forecast bench $FAULTS --suite stocks --models pf --seeds 0, --out benchmarks/faults_v4
pf-forecast bench $FAULTS --suite etth1 --models pf --seeds 0, --out benchmarks/faults_v4
pf-forecast bench $FAULTS --suite beijing --models pf --seeds 0, --tracks past --out benchmarks/faults_v4
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks past --out benchmarks/faults_v4
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --datasets epf-DE,epf-FR,epf-PJM --out benchmarks/faults_v4
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --out benchmarks/faults_v5
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0, --tracks future --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite stocks --models pf --seeds 0,1,2 --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite stocks --models pf-late --seeds 0, --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite etth1 --models pf-late --seeds 0, --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite etth1 --models pf --seeds 0,1,2 --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite beijing --models pf-late --seeds 0, --tracks past --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite beijing --models pf --seeds 0,1,2 --tracks past --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite etth1 --models pf-late --seeds 1,2 --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite stocks --models pf-late --seeds 1,2 --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite beijing --models pf-late --seeds 1,2 --tracks past --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite epf --models pf-late --seeds 0, --tracks future --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite epf --models pf --seeds 1,2 --tracks future --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite epf --models pf-late --seeds 1,2 --tracks future --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite epf --models pf-late --seeds 0, --tracks past --out benchmarks/faults_v6
pf-forecast bench $FAULTS --suite epf --models pf --seeds 0,1,2 --tracks future --out benchmarks/faults_v7
EPF_ALLDATA_AVG3='--suite epf --tracks past --out benchmarks/epf_alldata_avg3 --max-train-samples all --average-top-k 3'
pf-forecast bench $EPF_ALLDATA_AVG3 --models tide --seeds 0,1,2 --datasets epf-DE $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models tide --seeds 0,1,2 --datasets epf-FR $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models tide --seeds 0,1,2 --datasets epf-BE $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf --seeds 0,1,2 --datasets epf-DE $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models tide --seeds 0,1,2 --datasets epf-NP $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models tide --seeds 0,1,2 --datasets epf-PJM $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-DE $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf --seeds 0,1,2 --datasets epf-FR $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-FR $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf --seeds 0,1,2 --datasets epf-BE $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-BE $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-NP $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf --seeds 0,1,2 --datasets epf-NP $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-PJM $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models pf --seeds 0,1,2 --datasets epf-PJM $COMMON
pf-forecast bench $EPF_ALLDATA_AVG3 --models tsmixer,nhits,tcn,dlinear --seeds 0, $COMMON
EPF_FUTURE_AVG3='--suite epf --tracks future --out benchmarks/epf_future_avg3 --max-epochs 15 --patience 3 --max-train-samples all --train-stride auto --test-stride 1 --robustness-stride horizon --batch-size 64 --learning-rate 0.001 --levels 0 --repeats 1 --profile default --impute ffill --threads 1 --no-missing --average-top-k 3'
pf-forecast bench $EPF_FUTURE_AVG3 --models pf --seeds 0,1,2 --datasets epf-DE
pf-forecast bench $EPF_FUTURE_AVG3 --models pf --seeds 0,1,2 --datasets epf-PJM
pf-forecast bench $EPF_FUTURE_AVG3 --models tide --seeds 0,1,2 --datasets epf-DE
pf-forecast bench $EPF_FUTURE_AVG3 --models tide --seeds 0,1,2 --datasets epf-PJM
pf-forecast bench $EPF_FUTURE_AVG3 --models pf --seeds 0,1,2 --datasets epf-FR
pf-forecast bench $EPF_FUTURE_AVG3 --models tide --seeds 0,1,2 --datasets epf-FR
pf-forecast bench $EPF_FUTURE_AVG3 --models tide --seeds 0,1,2 --datasets epf-BE
pf-forecast bench $EPF_FUTURE_AVG3 --models pf --seeds 0,1,2 --datasets epf-BE
pf-forecast bench $EPF_FUTURE_AVG3 --models tide --seeds 0,1,2 --datasets epf-NP
pf-forecast bench $EPF_FUTURE_AVG3 --models pf --seeds 0,1,2 --datasets epf-NP
pf-forecast bench $EPF_FUTURE_AVG3 --models tsmixer --seeds 0,1,2 --datasets epf-DE
pf-forecast bench $EPF_FUTURE_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-DE
pf-forecast bench $EPF_FUTURE_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-PJM
pf-forecast bench $EPF_FUTURE_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-FR
pf-forecast bench $EPF_FUTURE_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-BE
pf-forecast bench $EPF_FUTURE_AVG3 --models pf-late --seeds 0,1,2 --datasets epf-NP
pf-forecast bench $EPF_FUTURE_AVG3 --models tsmixer,nhits,tcn,dlinear --seeds 0,
pf-forecast bench --suite epf --models pf --seeds 0,1,2 --tracks future --out benchmarks/epf_future_avg3_v2 --max-epochs 15 --patience 3 --max-train-samples all --train-stride auto --test-stride 1 --robustness-stride horizon --batch-size 64 --learning-rate 0.001 --levels 0 --repeats 1 --profile default --impute ffill --threads 1 --no-missing --average-top-k 3
TIMING='--models pf,tide --seeds 0, --out benchmarks/timing --max-epochs 15 --patience 3 --max-train-samples all --train-stride auto --test-stride 1 --robustness-stride horizon --batch-size 64 --learning-rate 0.001 --levels 0 --repeats 1 --profile default --impute ffill --threads 1 --no-missing'
pf-forecast bench $TIMING --suite stocks
pf-forecast bench $TIMING --suite etth1
pf-forecast bench $TIMING --suite beijing --tracks past
pf-forecast bench $TIMING --suite epf --tracks past
pf-forecast bench $TIMING --suite epf --tracks future
TIMING_LATE='--models pf-late,tide --seeds 0, --out benchmarks/timing_late --max-epochs 15 --patience 3 --max-train-samples all --train-stride auto --test-stride 1 --robustness-stride horizon --batch-size 64 --learning-rate 0.001 --levels 0 --repeats 1 --profile default --impute ffill --threads 1 --no-missing'
pf-forecast bench $TIMING_LATE --suite epf --tracks past
pf-forecast bench $TIMING_LATE --suite stocks
pf-forecast bench $TIMING_LATE --suite etth1
pf-forecast bench $TIMING_LATE --suite beijing --tracks past
pf-forecast bench $TIMING_LATE --suite epf --tracks future
python benchmarks/scaling_study.py --out benchmarks/scaling --profile default --models pf,tide --epochs 4 --batch-size 64 --windows-per-epoch 2000 --threads 1
python benchmarks/missing_retrain.py --reference faults_v4 --tasks beijing:past,epf-BE:future,epf-DE:future,epf-DE:past,epf-FR:past,epf-NP:future,epf-NP:past,epf-PJM:past,etth1:past,stocks:past --seeds 0
python benchmarks/select_defaults.py --tasks stocks:past --configs '' --peers arima --folds 2 --fold-rows 267 --seeds 0
python benchmarks/select_defaults.py --tasks epf-BE:past --configs auto --folds 1 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-DE:past --configs auto --folds 1 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-FR:past --configs auto --folds 1 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-NP:past --configs auto --folds 1 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-PJM:past --configs auto --peers linear --folds 1 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks etth1:past --configs base,v1,late,ctx_last,mdrop0,lsq_target_r1e-3,lsq_r1e-3,dec,cov,auto,wide,cv_blocked,cov_blocked,dense --peers linear,tide --folds 3 --fold-rows 1152 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks stocks:past --configs base,v1,late,ctx_last,mdrop0,lsq_target_r1e-3,lsq_r1e-3,dec,cov,auto,wide,lr_plateau,lr_exp,cv_blocked,cov_blocked,dense --peers exp-smoothing,linear,tide --folds 3 --fold-rows 267 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-BE:past --configs base,late,ctx_last --folds 2 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-DE:past --configs base,late,ctx_last --folds 2 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-FR:past --configs base,late,ctx_last --folds 2 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-NP:past --configs base,late,ctx_last --folds 2 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks epf-PJM:past --configs base,late,ctx_last,calendar --folds 2 --fold-rows 2016 --seeds 0,1,2
python benchmarks/select_defaults.py --tasks etth1:past --configs base,v1,lsq_target_r1e-3,v1_faults,lsq_target_r1e-3_faults,gap_zero,gap_ffill,gap_seasonal --folds 3 --fold-rows 1152 --seeds 0,1 --faults
python benchmarks/select_defaults.py --tasks stocks:past --configs base,gap_zero,gap_ffill,gap_seasonal --folds 3 --fold-rows 267 --seeds 0 --faults
python benchmarks/select_defaults.py --tasks epf-DE:future --configs late,ctx_last,calendar,mdrop0,fallback,cov_future_clip --folds 2 --fold-rows 2016 --seeds 0,1,2 --faults
python benchmarks/select_defaults.py --tasks epf-FR:past --configs cov --folds 1 --fold-rows 2016 --seeds 0
python benchmarks/select_defaults.py --tasks epf-NP:future --configs v1,v2,dec,cov,cov_future,dense,v2_late --peers linear,tide --folds 1 --fold-rows 2016 --seeds 0,1
python benchmarks/select_defaults.py --tasks epf-NP:past --configs cov --folds 1 --fold-rows 2016 --seeds 0
python benchmarks/select_defaults.py --tasks epf-PJM:past --configs dec,cov,dense --peers linear,tide --folds 1 --fold-rows 2016 --seeds 0,1
python benchmarks/select_defaults.py --tasks epf-BE:future --configs v2,cov_future --folds 1 --fold-rows 2016 --seeds 0,1
python benchmarks/select_defaults.py --tasks epf-BE:future --configs v2,cov_future,v2_gap_zero,v2_gap_ffill,v2_gap_seasonal --folds 1 --fold-rows 2016 --seeds 0 --faults
python benchmarks/select_defaults.py --tasks epf-DE:future --configs v2,dec,cov_future,dense --peers linear,tide --folds 1 --fold-rows 2016 --seeds 0,1
python benchmarks/select_defaults.py --tasks epf-DE:future --configs cov_future --folds 1 --fold-rows 2016 --seeds 0 --faults
python benchmarks/select_defaults.py --tasks epf-NP:future --configs v2,cov_future,v2_late,v2_gap_zero,v2_gap_ffill,v2_gap_seasonal --folds 1 --fold-rows 2016 --seeds 0 --faults
python benchmarks/select_defaults.py --tasks epf-BE:future --configs late,ctx_last,mdrop0,fallback,cov_future_clip --folds 2 --fold-rows 2016 --seeds 0,1,2 --faults
python benchmarks/select_defaults.py --tasks epf-FR:future --configs late,ctx_last,mdrop0,fallback,cov_future_clip --folds 2 --fold-rows 2016 --seeds 0,1,2 --faults
python benchmarks/select_defaults.py --tasks epf-NP:future --configs late,ctx_last,mdrop0,fallback,cov_future_clip --folds 2 --fold-rows 2016 --seeds 0,1,2 --faults
python benchmarks/select_defaults.py --tasks epf-PJM:future --configs late,ctx_last,mdrop0,cov_future_clip --folds 2 --fold-rows 2016 --seeds 0,1,2 --faults
python benchmarks/select_defaults.py --tasks epf-PJM:past --configs wide,patch1,deep6 --peers linear --folds 1 --fold-rows 2016 --seeds 0
python benchmarks/select_defaults.py --tasks stocks:past --configs '' --peers dlinear,exp-smoothing,linear,tcn --folds 3 --fold-rows 267 --seeds 0
python benchmarks/select_defaults.py --tasks epf-NP:past --configs faults,gap_zero --folds 1 --fold-rows 2016 --seeds 0 --faults
python benchmarks/select_defaults.py --tasks etth1:past --configs lr_low --peers linear --folds 3 --fold-rows 1152 --seeds 0
python benchmarks/select_defaults.py --tasks epf-NP:future --configs lsq_target_r1e-3,lsq_target_r1e-3_dec,wide --peers linear --folds 1 --fold-rows 2016 --seeds 0
python benchmarks/select_defaults.py --tasks epf-DE:future --configs wide --peers linear --folds 1 --fold-rows 2016 --seeds 0
python benchmarks/summarize.py
