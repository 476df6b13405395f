package cam

import "camscope/inference/tensor"

// channelWeigher is Score-CAM's Scores or Ablation-CAM's Ablation: the
// channel weights of any class of one input.
type channelWeigher interface {
	ChannelWeights(k int) ([]float32, error)
}

// channelMap is the map of class k of a channel-weighting method at the
// layer's resolution, sum_c w_c A_c, from cw's channel weights and the
// layer's activations feature ([1,C,h,w]), as Pass.Map computes it.
func channelMap(cw channelWeigher, feature *tensor.Tensor, k int) (Map, error) {
	weights, err := cw.ChannelWeights(k)
	if err != nil {
		return Map{}, err
	}
	return weightedSum(feature.F, weights, feature.Shape[2], feature.Shape[3]), nil
}
