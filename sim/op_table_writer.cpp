#include "sim/op_table_writer.hpp"

#include <fmt/format.h>

namespace llmsim::sim {

OpTableWriter::OpTableWriter() {
  csv_ =
      "phase,step,past_tokens,new_tokens,op,kind,group,layer,kernels,m,n,k,batch_count,flops,vector_ops,"
      "transcendentals,transcendental_fn,weight_format,weight_bytes,kv_read_bytes,kv_write_bytes,act_read_bytes,"
      "act_write_bytes,compute_dtype,vector_path,efficiency,launch_s,compute_s,memory_s,roofline_s,bound,issued_s,start_s,end_s,duration_s\n";
}

StepObserver OpTableWriter::observer() {
  return [this](const StepView& step) { record(step); };
}

void OpTableWriter::record(const StepView& step) {
  if (step.phase == "decode" && step.index != 0 && step.index != step.steps_in_phase - 1) return;
  const auto& graph = *step.graph;
  for (std::size_t v = 0; v < graph.size(); ++v) {
    const auto& op = graph.op(v);
    const auto& c = (*step.costs)[v];
    const auto& t = (*step.timings)[v];
    csv_ += fmt::format("{},{},{},{},{},{},{},{},{},{:g},{:g},{:g},{:g},{:g},{:g},{:g},{},{},{:g},{:g},{:g},{:g},{:g},"
                        "{},{},{:g},{:g},{:g},{:g},{:g},{},{:.9g},{:.9g},{:.9g},{:.9g}\n",
                        step.phase, step.index, step.past_tokens, step.new_tokens, op.name, to_string(op.kind),
                        op.group, op.layer, op.kernels, op.m, op.n, op.k, op.batch_count, op.flops, op.vector_ops,
                        op.transcendentals, op.transcendental_fn, op.weight_format, op.weight_bytes,
                        op.kv_read_bytes, op.kv_write_bytes, op.act_read_bytes, op.act_write_bytes, c.compute_dtype, c.vector_path ? 1 : 0, c.efficiency, c.launch_s,
                        c.compute_s, c.memory_s, c.roofline_s(), to_string(c.bound()), t.issued, t.start, t.end,
                        t.end - t.issued);
  }
}

}  // namespace llmsim::sim
