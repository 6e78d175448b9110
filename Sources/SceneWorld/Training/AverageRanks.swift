import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// The rank of each value among `values`, 1 for the smallest, with tied values sharing the
/// mean of the ranks they span (so [5, 1, 5] ranks as [2.5, 1, 2.5]); the ranks behind ROC AUC
/// (Mann-Whitney U) and Spearman's correlation.
public func averageRanks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
        let rank = Double(i + j) / 2 + 1
        for t in i...j { ranks[order[t]] = rank }
        i = j + 1
    }
    return ranks
}
